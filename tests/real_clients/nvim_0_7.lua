-- Neovim 0.7 (Debian bookworm's): vim.lsp.start_client + vim.lsp.buf_attach_client. This
-- generation has no pull diagnostics: the server must push them (textDocument/publishDiagnostics).
local here = vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h')
local common = dofile(here .. '/common.lua')

common.run(function(bufnr)
  local client_id = vim.lsp.start_client({
    name = 'heedful',
    cmd = common.server_cmd(),
    root_dir = vim.fn.getcwd(),
    handlers = common.counting_handlers(),
  })
  assert(client_id, 'vim.lsp.start_client failed')
  assert(vim.lsp.buf_attach_client(bufnr, client_id), 'vim.lsp.buf_attach_client failed')
  local client = vim.lsp.get_client_by_id(client_id)
  common.record_notifications(client, 'dot')
  return client
end)
