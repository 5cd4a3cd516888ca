-- wrk script: GETs of the paths in a file, one after another, round and round.
-- Usage: wrk ... -s read-load.lua <url> -- <paths file>

local paths = {}
local cursor = 0

function init(args)
  for line in io.lines(args[1]) do
    if line ~= "" then table.insert(paths, line) end
  end
end

function request()
  cursor = cursor % #paths + 1
  return wrk.format("GET", paths[cursor])
end
