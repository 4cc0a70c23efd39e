import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

// The studio builds to static files that `graphrun serve` serves at / on the API's origin.
// `npm run dev -w @graphrun/web` proxies /api to a server on :8000 for UI work with hot reload.
export default defineConfig({
  plugins: [react()],
  resolve: { conditions: ['graphrun-source'] },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 1500 },
  worker: { format: 'es' },
  server: { proxy: { '/api': 'http://127.0.0.1:8000' } },
})
