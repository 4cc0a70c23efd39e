/** The studio's entry: mounts the app. */

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
