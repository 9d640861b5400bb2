--- Typed per-action methods (filled in from the generated spec).
local api = {}
function api.attach(client) return client end
return api
