/**
 * The studio's entry, kept tiny: it starts the layout worker first, then loads the app. Loading
 * and compiling ELK in the worker takes ~0.4 s on a small machine; started here, it overlaps
 * downloading and starting the app and fetching the graph instead of delaying the first layout.
 */

import { prewarmLayout } from './layout/layout.js'

prewarmLayout()
void import('./mount.js')
