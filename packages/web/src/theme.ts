/** Light/dark theme: follows the system unless the user picked one (remembered in localStorage). */

export type ThemeChoice = 'system' | 'light' | 'dark'
const KEY = 'graphrun.theme'

export function getTheme(): ThemeChoice {
  const saved = localStorage.getItem(KEY)
  return saved === 'light' || saved === 'dark' ? saved : 'system'
}

export function setTheme(choice: ThemeChoice): void {
  if (choice === 'system') {
    localStorage.removeItem(KEY)
    delete document.documentElement.dataset.theme
  } else {
    localStorage.setItem(KEY, choice)
    document.documentElement.dataset.theme = choice
  }
}

export function initTheme(): void {
  setTheme(getTheme())
}

/** The theme in effect now (resolving "system"). */
export function effectiveTheme(): 'light' | 'dark' {
  const choice = getTheme()
  if (choice !== 'system') return choice
  return window.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'
}
