-- Quarto filter, Typst only: the notebooks' HTML tables (great_tables) carry web CSS that Typst
-- cannot use: a font stack of system fonts ending in the generic `sans-serif` (Typst has no
-- generic families, so it warns "unknown font family") and `font-weight: initial` (Quarto warns
-- "invalid font weight"). Drop those two declarations: the PDF tables use the document font,
-- as in the built-in renderer. Colours, borders, alignment and sizes are kept.

if not quarto.doc.is_format("typst") then
  return {}
end

local function clean(attr)
  local style = attr.attributes["style"]
  if style == nil then
    return false
  end
  local kept = {}
  for clause in style:gmatch("[^;]+") do
    local key, value = clause:match("^%s*([%w-]+)%s*:%s*(.-)%s*$")
    local drop = key == "font-family" or (key == "font-weight" and value == "initial")
    if key and not drop then
      table.insert(kept, key .. ": " .. value)
    end
  end
  attr.attributes["style"] = #kept > 0 and table.concat(kept, "; ") or nil
  return true
end

local function clean_rows(rows)
  for _, row in ipairs(rows) do
    clean(row.attr)
    for _, cell in ipairs(row.cells) do
      clean(cell.attr)
    end
  end
end

return {
  {
    Table = function(tbl)
      clean(tbl.attr)
      clean_rows(tbl.head.rows)
      for _, body in ipairs(tbl.bodies) do
        clean_rows(body.head)
        clean_rows(body.body)
      end
      clean_rows(tbl.foot.rows)
      return tbl
    end,
    Div = function(div)
      if clean(div.attr) then return div end
    end,
    Span = function(span)
      if clean(span.attr) then return span end
    end,
  },
}
