/** Mounts the app (loaded by main.ts once the layout worker is on its way). */

import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import '@xyflow/react/dist/style.css'
import './styles.css'
import './shell.css'
import { App } from './App.js'
import { initTheme } from './theme.js'

initTheme()
const root = document.getElementById('root')
if (!root) throw new Error('the page has no #root element')
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
)
