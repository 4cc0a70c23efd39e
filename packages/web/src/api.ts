/** The studio's one API client: same origin as the page, so no base URL and no token header. */

import { createClient } from '@graphrun/client'

export const api = createClient({ baseUrl: '' })
