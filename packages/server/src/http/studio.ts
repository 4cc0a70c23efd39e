/**
 * Serves the studio (the built single-page app) at / on the API's origin: its files as they are,
 * and index.html for the app's own routes (/graphs/…, /runs/…, /compare) so a shared link opens.
 * Without a built studio, / explains how to build it and points at the API docs.
 */

import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance, FastifyReply } from 'fastify'

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>graphrun</title>
<body style="font:14px system-ui;margin:40px;max-width:640px;line-height:1.5">
<h1 style="font-size:20px">graphrun is running</h1>
<p>The studio has not been built. From the repository, run <code>npm run build</code> (or <code>npm start</code>) and reload.</p>
<p>The API is here: <a href="/docs">/docs</a> · <a href="/api/graphs">/api/graphs</a> · <a href="/openapi.json">/openapi.json</a></p>`

export async function registerStudio(app: FastifyInstance, studio_dir: string | undefined): Promise<void> {
  if (studio_dir !== undefined && existsSync(studio_dir)) {
    // wildcard: files are looked up per request, so a rebuilt studio is served without a restart.
    await app.register(fastifyStatic, { root: studio_dir, prefix: '/', decorateReply: false, index: false })
  }
  const index = studio_dir === undefined ? undefined : join(studio_dir, 'index.html')
  const sendPage = async (_request: unknown, reply: FastifyReply) => {
    const page = index === undefined ? NOT_BUILT : await readFile(index, 'utf8').catch(() => NOT_BUILT)
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(page)
  }
  app.get('/', { schema: { hide: true } }, sendPage)
  app.get('/graphs/:graph_id', { schema: { hide: true } }, sendPage)
  app.get('/runs/:run_id', { schema: { hide: true } }, sendPage)
  app.get('/compare', { schema: { hide: true } }, sendPage)
}
