/**
 * Agent loop: an `agent` node decides the next step and its route sends the work to a `tool`
 * node, whose result comes back to the agent over a loop edge — again and again until the agent
 * can answer. Shows: a route with a loop (tool → agent), iteration counts (agent #1, #2 …),
 * a `merge` reducer, logs, and `max_steps` as a guard against a loop that never ends.
 * The agent and its tools are deterministic fakes — no network, no model — so every run is the
 * same. Try: --input '{"question": "How many moons do Saturn, Uranus and Neptune have?"}'
 */

import { append, defineGraph, END, merge, START } from '@graphrun/engine'

interface ToolCall {
  tool: 'lookup' | 'calculator'
  input: string
}

interface AgentState {
  question: string
  /** The tool call the agent wants next; null when it can answer. */
  call: ToolCall | null
  /** Moons per planet, as the lookup tool found them. */
  facts: Record<string, number>
  total: number
  transcript: string[]
  answer: string
}

const DEFAULT_QUESTION = 'How many moons do Mars and Jupiter have together?'

// The fake knowledge base behind the `lookup` tool.
const MOONS: Record<string, number> = {
  mercury: 0,
  venus: 0,
  earth: 1,
  mars: 2,
  jupiter: 95,
  saturn: 146,
  uranus: 28,
  neptune: 16,
}

const think = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => {
      clearTimeout(timer)
      reject(signal.reason)
    })
  })

export default defineGraph<AgentState>({
  name: 'Agent loop',
  description: 'An agent calls fake tools in a loop until it can answer the question',
  reducers: { facts: merge, transcript: append },
  max_steps: 100,
  nodes: {
    agent: {
      label: 'Agent',
      description: 'Decides the next tool call, or that it can answer',
      run: async (s, ctx) => {
        await think(80, ctx.signal)
        const question = s.question ?? DEFAULT_QUESTION
        const planets = Object.keys(MOONS).filter((p) => question.toLowerCase().includes(p))
        const missing = planets.find((p) => s.facts?.[p] === undefined)
        let call: ToolCall | null = null
        if (missing !== undefined) call = { tool: 'lookup', input: `moons of ${missing}` }
        else if (planets.length > 0 && s.total === undefined) {
          call = { tool: 'calculator', input: planets.map((p) => s.facts[p]).join(' + ') }
        }
        const thought = call
          ? `step ${ctx.iteration}: call ${call.tool}("${call.input}")`
          : 'I can answer now'
        ctx.log(thought, { known: Object.keys(s.facts ?? {}) })
        return { question, call, transcript: [`agent: ${thought}`] }
      },
    },
    tool: {
      label: 'Tool (fake)',
      description: 'A lookup in a tiny knowledge base, or a calculator',
      timeout_ms: 2_000,
      run: async (s, ctx) => {
        await think(120, ctx.signal)
        const call = s.call
        if (call === null) throw new Error('the agent routed to the tool without a call')
        if (call.tool === 'lookup') {
          const planet = call.input.replace(/^moons of /, '')
          const moons = MOONS[planet] ?? 0
          console.log(`lookup("${call.input}") → ${moons}`)
          return { facts: { [planet]: moons }, transcript: [`lookup: ${planet} has ${moons} moons`] }
        }
        const total = call.input.split('+').reduce((sum, term) => sum + Number(term.trim()), 0)
        console.log(`calculator("${call.input}") → ${total}`)
        return { total, transcript: [`calculator: ${call.input} = ${total}`] }
      },
    },
    respond: {
      label: 'Respond',
      run: (s) => {
        const planets = Object.keys(s.facts ?? {})
        const answer =
          planets.length === 0
            ? `I only know the planets of the solar system; ask about ${Object.keys(MOONS).join(', ')}.`
            : `${planets.map((p) => `${p[0]?.toUpperCase()}${p.slice(1)} (${s.facts[p]})`).join(' + ')} = ${s.total} moons.`
        return { answer }
      },
    },
  },
  edges: [
    [START, 'agent'],
    ['tool', 'agent'],
    ['respond', END],
  ],
  routes: {
    agent: { to: ['tool', 'respond'], route: (s) => (s.call ? 'tool' : 'respond') },
  },
})
