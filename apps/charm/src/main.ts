// The charm's entry point, bundled into dist/charm.mjs and exec'd by `dispatch` for every hook
// and action when the pack could not build a startup snapshot. Juju's environment says which;
// charm-machine's runtime does the rest.
import { dispatchHook } from './dispatch-hook.js'

process.exitCode = await dispatchHook(process.env)
