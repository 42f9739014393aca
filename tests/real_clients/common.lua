-- Shared part of the headless Neovim drivers (tests/test_real_clients.py runs them).
--
-- The test starts `nvim --headless --clean -n -c "luafile DRIVER" FILE` in a workspace with a
-- heedful.toml. The driver starts `heedful serve` as a language server of the buffer (each
-- Neovim generation with its own API), then this file:
--   1. waits for the first diagnostics and takes a snapshot (`vim.diagnostic.get`),
--   2. edits the buffer with nvim_buf_set_lines (Neovim sends incremental didChange),
--   3. waits until the diagnostics change and takes a second snapshot,
--   4. writes both snapshots and what the client saw to $HEEDFUL_OUT as JSON, and quits.
-- Any Lua error is written to $HEEDFUL_OUT too, and nvim exits non-zero.
--
-- Environment: HEEDFUL_PYTHON (the Python that has heedful), HEEDFUL_OUT (JSON result),
-- HEEDFUL_SERVER_LOG (the server's stderr, at --log-level debug), HEEDFUL_SERVER_PID (the
-- server writes its pid there, so the test can check it exited), HEEDFUL_WAIT_MS (per wait).

local M = {}

local function env(name)
  local value = os.getenv(name)
  if value == nil or value == '' then
    error('environment variable ' .. name .. ' is not set')
  end
  return value
end

local version = vim.version()
M.result = { nvim = string.format('%d.%d.%d', version.major, version.minor, version.patch), methods = {}, sent = {} }

-- `sh -c` so the server's stderr goes to a file and its pid is known; `exec` keeps the pid.
function M.server_cmd()
  return {
    'sh', '-c', 'echo $$ > "$HEEDFUL_SERVER_PID"; exec "$0" -m heedful serve --log-level debug 2>"$HEEDFUL_SERVER_LOG"',
    env('HEEDFUL_PYTHON'),
  }
end

-- Wrap the client's handlers of the two diagnostic methods to count which ones were used.
function M.counting_handlers()
  local handlers = {}
  for _, method in ipairs({ 'textDocument/publishDiagnostics', 'textDocument/diagnostic' }) do
    handlers[method] = function(err, result, ctx, config)
      M.result.methods[method] = (M.result.methods[method] or 0) + 1
      return vim.lsp.handlers[method](err, result, ctx, config)
    end
  end
  return handlers
end

-- Record the didChange notifications the client sends (the content changes, as sent).
-- `call_style` is 'dot' for 0.7's client.notify(method, params), 'colon' for client:notify.
function M.record_notifications(client, call_style)
  local original = client.notify
  if call_style == 'dot' then
    client.notify = function(method, params, ...)
      if method == 'textDocument/didChange' then
        table.insert(M.result.sent, params.contentChanges)
      end
      return original(method, params, ...)
    end
  else
    client.notify = function(self, method, params, ...)
      if method == 'textDocument/didChange' then
        table.insert(M.result.sent, params.contentChanges)
      end
      return original(self, method, params, ...)
    end
  end
end

-- The diagnostics of a buffer in a stable order, with only what the test checks.
function M.snapshot(bufnr)
  local out = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    local lsp = (d.user_data or {}).lsp or {}
    table.insert(out, {
      code = d.code or lsp.code, message = d.message, source = d.source, severity = d.severity,
      lnum = d.lnum, col = d.col, end_lnum = d.end_lnum, end_col = d.end_col,
      kind = type(lsp.data) == 'table' and lsp.data.kind or vim.NIL,
    })
  end
  table.sort(out, function(a, b)
    if a.lnum ~= b.lnum then return a.lnum < b.lnum end
    if a.col ~= b.col then return a.col < b.col end
    return tostring(a.code) < tostring(b.code)
  end)
  return out
end

local function write_result()
  local file = assert(io.open(env('HEEDFUL_OUT'), 'w'))
  file:write(vim.fn.json_encode(M.result))
  file:close()
end

-- `start(bufnr)` starts the server for the buffer and returns the client (or errors).
function M.run(start)
  local ok, err = xpcall(function()
    local wait_ms = tonumber(os.getenv('HEEDFUL_WAIT_MS') or '') or 15000
    local bufnr = vim.api.nvim_get_current_buf()
    M.result.filetype = vim.bo[bufnr].filetype
    local client = start(bufnr)

    -- 1. the diagnostics of the file as opened
    M.result.first_arrived = vim.wait(wait_ms, function() return #vim.diagnostic.get(bufnr) > 0 end, 20)
    M.result.first = M.snapshot(bufnr)
    local first = vim.fn.json_encode(M.result.first)

    -- 2. fix the violation on line 1, add one on line 5 and one on line 6, after characters
    -- that take 1 (é) and 2 (😀) UTF-16 code units: two edits, one of two lines
    vim.api.nvim_buf_set_lines(bufnr, 0, 1, true, { 'def load_user(a):' })
    vim.api.nvim_buf_set_lines(bufnr, 4, 6, true, { 'def save_user(a, b, c):', '    print("é😀"); return eval(a)' })

    -- 3. wait until what the editor shows changes
    M.result.second_arrived = vim.wait(wait_ms, function()
      return vim.fn.json_encode(M.snapshot(bufnr)) ~= first
    end, 20)
    M.result.second = M.snapshot(bufnr)

    local caps = client.server_capabilities or {}
    M.result.client = {
      name = client.name,
      initialized = client.initialized == true,
      offset_encoding = client.offset_encoding,
      server_diagnostic_provider = caps.diagnosticProvider ~= nil,
      server_sync = caps.textDocumentSync,
      client_can_pull = vim.tbl_get(client.capabilities or client.config.capabilities
        or vim.lsp.protocol.make_client_capabilities(), 'textDocument', 'diagnostic') ~= nil,
    }
  end, debug.traceback)
  if not ok then
    M.result.error = tostring(err)
  end
  write_result()
  if ok then
    vim.cmd('qa!')
  else
    vim.cmd('cquit! 3')
  end
end

return M
