import react from '@vitejs/plugin-react'
import { defineConfig, type ProxyOptions } from 'vite'

// The studio builds to static files that `graphrun serve` serves at / on the API's origin. `npm run
// dev -w @graphrun/web` proxies /api to a server on :8000 for UI work with hot reload. The server
// refuses a Host or Origin that is not its own (docs/http-api.md, Security), so the proxy presents
// the server's origin — for requests from the dev page itself only; any other Origin passes
// unchanged and is refused as it would be without the proxy.
const API = 'http://127.0.0.1:8000'
const api: ProxyOptions = {
  target: API,
  changeOrigin: true,
  configure(proxy) {
    proxy.on('proxyReq', (proxyReq, req) => {
      if (req.headers.origin !== undefined && req.headers.origin === `http://${req.headers.host}`) {
        proxyReq.setHeader('origin', API)
      }
    })
  },
}

export default defineConfig({
  plugins: [react()],
  resolve: { conditions: ['graphrun-source'] },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 1500 },
  worker: { format: 'es' },
  server: { proxy: { '/api': api } },
})
