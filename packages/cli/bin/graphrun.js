#!/usr/bin/env node
// The installed `graphrun` command. A committed file, so npm links it at install time even before
// the first build; the command itself is built to dist/ by `npm run build`.
import '../dist/bin.js'
