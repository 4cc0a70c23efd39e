/**
 * Mounts the app (loaded by main.ts once the layout worker is on its way) with the page's one
 * studio: its store follows the URL and its effects fetch what the page shows.
 */

import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import '@xyflow/react/dist/style.css'
import './styles.css'
import './shell.css'
import { App } from './App.js'
import { navigate, routeSource } from './router.js'
import { createStudio } from './state/studio-effects.js'
import { initTheme } from './theme.js'

initTheme()
const root = document.getElementById('root')
if (!root) throw new Error('the page has no #root element')
const studio = createStudio({ route: routeSource, navigate })
studio.start()
createRoot(root).render(
  <StrictMode>
    <App studio={studio} />
  </StrictMode>,
)
