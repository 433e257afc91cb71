--[[
report.lua: pandoc filter for the report (run before --citeproc).

- Cross-references: a citation whose keys are all `fig-`, `tbl-` or `sec-` labels becomes a link
  ("Figure 2.1"); `[-@fig-x]` gives the number alone. Numbers come from the metadata field
  `crossref` written by reportbuild.render. An unknown label prints a warning and shows as
  "?@label" (as Quarto does).
- Tables: `.report-table` divs (a caption and an HTML or Markdown table). HTML keeps the table's
  own HTML; other formats (Typst) get a real table parsed from the HTML with pandoc.read, with
  great_tables' title rows and source notes moved out, column alignment set, header in bold.
- `.cell-output-html` divs: kept in HTML; parsed to pandoc blocks elsewhere.
- Quarto callouts (`.callout-note` ...) and `.content-visible` / `.content-hidden` divs.
]]

local labels = {}
local is_html = FORMAT:match("html") ~= nil
local is_typst = FORMAT:match("typst") ~= nil
local stringify = pandoc.utils.stringify
local KINDS = { fig = true, tbl = true, sec = true }

local captured = nil -- warnings of the table being converted (kept with it in the cache)

local function warn(msg)
  io.stderr:write("[WARNING] report.lua: " .. msg .. "\n")
  if captured then captured:insert(msg) end
end

local function has_class(el, cls)
  for _, c in ipairs(el.classes or {}) do
    if c == cls then return true end
  end
  return false
end

-- metadata ------------------------------------------------------------------

local function read_meta(meta)
  local map = meta.crossref
  if map then
    for id, v in pairs(map) do
      labels[id] = { kind = stringify(v.kind), number = stringify(v.number) }
    end
  end
end

-- cross-references ----------------------------------------------------------

local function crossref_id(id)
  local prefix = id:match("^(%a+)%-")
  return prefix and KINDS[prefix:lower()] ~= nil
end

local function Cite(cite)
  for _, c in ipairs(cite.citations) do
    if not crossref_id(c.id) then return nil end
  end
  local out = pandoc.List()
  for i, c in ipairs(cite.citations) do
    if i > 1 then
      out:insert(pandoc.Str(i == #cite.citations and " and" or ","))
      out:insert(pandoc.Space())
    end
    if #c.prefix > 0 then
      out:extend(c.prefix)
      out:insert(pandoc.Space())
    end
    local id = c.id
    local entry = labels[id] or labels[id:sub(1, 1):lower() .. id:sub(2)]
    if entry then
      local text = entry.kind .. "\u{00A0}" .. entry.number
      if c.mode == "SuppressAuthor" then text = entry.number end
      out:insert(pandoc.Link(text, "#" .. id:sub(1, 1):lower() .. id:sub(2)))
    else
      warn("unresolved cross-reference @" .. id)
      out:insert(pandoc.Strong(pandoc.Str("?@" .. id)))
    end
    if #c.suffix > 0 then out:extend(c.suffix) end
  end
  return out
end

-- tables --------------------------------------------------------------------

local function row_has(row, cls)
  return has_class(row.attr or row, cls)
end

local function looks_numeric(s)
  s = s:gsub("\u{2212}", "-"):gsub("%s", "")
  if s == "" or s == "—" or s == "–" or s == "NA" or s == "NaN" then return nil end
  return s:match("^[<>≤≥]?[%(%[]?[-+]?%d[%d.,]*%%?[%)%]]?%*?$") ~= nil
    or s:match("^[-+]?%d[%d.,]*%%?[%(%[].*[%)%]]$") ~= nil
end

local function cell_align(cell)
  for _, c in ipairs(cell.attr.classes) do
    if c == "gt_right" then return "AlignRight" end
    if c == "gt_center" then return "AlignCenter" end
    if c == "gt_left" then return "AlignLeft" end
  end
  return nil
end

local function bold_cell(cell)
  cell.contents = cell.contents:walk({
    Plain = function(p) return pandoc.Plain({ pandoc.Strong(p.content) }) end,
    Para = function(p) return pandoc.Plain({ pandoc.Strong(p.content) }) end,
  })
  return cell
end

-- Wide tables in print: relative column widths from the text each column holds (Typst's auto
-- columns would squeeze the first, wordy column to a sliver). Narrow tables keep auto widths.
local WIDE = 92 -- characters across a line of the table at its font size (8.6pt)
local WIDE_SMALL = 107 -- the same line at 7.4pt
local SMALL = setmetatable({}, { __mode = "k" }) -- tables set in the smaller size
local function text_len(s)
  return utf8.len(s) or #s
end

function set_widths(tbl, force)
  local ncol = #tbl.colspecs
  local body, head, word, total_len, rows_seen = {}, {}, {}, {}, 0
  for j = 1, ncol do body[j], head[j], word[j], total_len[j] = 1, 1, 1, 0 end
  local function visit(rows, full)
    for _, row in ipairs(rows) do
      if #row.cells == ncol then
        if full == body then rows_seen = rows_seen + 1 end
        for j, cell in ipairs(row.cells) do
          local t = stringify(cell.contents)
          full[j] = math.max(full[j], text_len(t))
          if full == body then total_len[j] = total_len[j] + text_len(t) end
          -- identifiers may break after an underscore (breakable_identifiers), so their parts count
          for w in t:gmatch("[^%s_]+_?") do word[j] = math.max(word[j], text_len(w)) end
        end
      end
    end
  end
  visit(tbl.head.rows, head)
  for _, b in ipairs(tbl.bodies) do visit(b.body, body) end
  local total = 0
  for j = 1, ncol do total = total + math.max(body[j], head[j]) + 2 end
  if total <= WIDE and not force then return end
  -- when the longest words alone overfill the line, the table is set in the smaller size
  -- (maybe_small), whose line holds more characters: no column narrower than its longest word
  local line = WIDE
  local floors_only = 0
  for j = 1, ncol do floors_only = floors_only + math.max(word[j], 4) + 2 end
  if floors_only > WIDE then
    SMALL[tbl] = true
    line = WIDE_SMALL
  end
  -- header text may wrap (at word boundaries); body text wraps only in long text columns
  -- A column never gets narrower than its longest word (short columns such as 'type' keep
  -- their width); only the slack of the long text columns is shrunk to fit the line.
  local want, floor, sum, floors = {}, {}, 0, 0
  for j = 1, ncol do
    floor[j] = math.max(word[j], 4) + 2
    -- the stub (row labels) keeps its labels whole up to 28 characters: a wide stub
    if j == 1 then floor[j] = math.max(floor[j], math.min(body[j], 28) + 2) end
    -- a column's claim on the line: between its typical and its longest cell (a column that
    -- is mostly empty, or long in one row only, gives way to one that is long in every row)
    local typical = math.sqrt(math.max(total_len[j] / math.max(rows_seen, 1), 1) * body[j])
    want[j] = math.max(math.min(typical, 38) + 2, floor[j])
    sum, floors = sum + want[j], floors + floor[j]
  end
  if sum > line then
    -- shrink the slack above each floor to fit the line; with no room left, widths follow the floors
    local scale = floors < line and (line - floors) / (sum - floors) or 0
    sum = 0
    for j = 1, ncol do
      want[j] = floor[j] + (want[j] - floor[j]) * scale
      sum = sum + want[j]
    end
  end
  for j = 1, ncol do tbl.colspecs[j] = { tbl.colspecs[j][1], want[j] / sum } end
end

-- Long snake_case identifiers in Typst tables may break after an underscore. Each part is its
-- own box: Typst may break a line between two boxes, and the PDF's text stays the identifier
-- itself (a zero-width space would be copied with it and make it a syntax error).
local TYPST_SPECIAL = "([\\#%[%]%*_`$<>@~\"])"
function breakable_identifiers(tbl)
  return tbl:walk({
    Str = function(s)
      if #s.text <= 12 or not s.text:find("_") or not s.text:match("^[%w_%.%%,;:%(%)]+$") then return nil end
      local parts = {}
      for piece in s.text:gmatch("[^_]+_?") do
        table.insert(parts, "#box[" .. piece:gsub(TYPST_SPECIAL, "\\%1") .. "]")
      end
      return pandoc.RawInline("typst", table.concat(parts))
    end,
  })
end

-- Clean a table parsed from HTML: returns the table, its title (inlines) and notes (blocks).
local function clean_table(tbl)
  local title = pandoc.List()
  local notes = pandoc.List()
  local keep = pandoc.List()
  for _, row in ipairs(tbl.head.rows) do
    if row_has(row, "gt_heading") then
      local t = stringify(row.cells[1].contents)
      if t ~= "" then
        if #title > 0 then title:extend({ pandoc.Str(":"), pandoc.Space() }) end
        title:extend(pandoc.Inlines(t))
      end
    else
      keep:insert(row)
    end
  end
  tbl.head.rows = keep
  for _, row in ipairs(tbl.foot.rows) do
    for _, cell in ipairs(row.cells) do
      local t = stringify(cell.contents)
      if t ~= "" then notes:insert(pandoc.Para(pandoc.Inlines(t))) end
    end
  end
  tbl.foot.rows = pandoc.List()
  -- column alignment: great_tables classes, else numbers right-aligned
  local ncol = #tbl.colspecs
  for j = 1, ncol do
    local align, numeric, any = nil, true, false
    for _, body in ipairs(tbl.bodies) do
      for _, row in ipairs(body.body) do
        local cell = row.cells[j]
        if cell and #row.cells == ncol then
          align = align or cell_align(cell)
          local n = looks_numeric(stringify(cell.contents))
          if n ~= nil then
            any = true
            numeric = numeric and n
          end
        end
      end
    end
    local a = align or ((any and numeric) and "AlignRight" or "AlignLeft")
    tbl.colspecs[j] = { a, tbl.colspecs[j][2] }
  end
  -- body cells: let column alignment apply; header cells bold (Typst has no th style)
  for _, body in ipairs(tbl.bodies) do
    for _, row in ipairs(body.body) do
      for _, cell in ipairs(row.cells) do cell.alignment = "AlignDefault" end
    end
  end
  if is_typst then
    for _, row in ipairs(tbl.head.rows) do
      for _, cell in ipairs(row.cells) do bold_cell(cell) end
    end
    -- great_tables row-group headings in italics
    for _, body in ipairs(tbl.bodies) do
      for _, row in ipairs(body.body) do
        if row_has(row, "gt_group_heading_row") then
          for _, cell in ipairs(row.cells) do
            cell.contents = cell.contents:walk({
              Plain = function(p) return pandoc.Plain({ pandoc.Emph(p.content) }) end,
            })
          end
        end
      end
    end
  end
  if is_typst then
    set_widths(tbl) -- on the plain text, before identifiers become boxes
    local small = SMALL[tbl]
    tbl = breakable_identifiers(tbl)
    SMALL[tbl] = small
  end
  tbl.attr = pandoc.Attr("")
  return tbl, title, notes
end

local function small_notes(notes)
  if #notes == 0 then return pandoc.List() end
  if is_typst then
    local inner = pandoc.write(pandoc.Pandoc(notes), "typst")
    return pandoc.List({ pandoc.RawBlock("typst", "#block(width: 100%, above: 0.4em)[#set text(size: 8pt)\n#set par(justify: false)\n" .. inner .. "]") })
  end
  return pandoc.List({ pandoc.Div(notes, pandoc.Attr("", { "table-notes" })) })
end

-- HTML text -> pandoc blocks, with tables cleaned (title and notes kept as text).
local function html_to_blocks(html)
  -- style sheets (great_tables writes one per table) give no blocks: not read at all
  html = html:gsub("<style[^>]*>.-</style>", "")
  local ok, doc = pcall(pandoc.read, html, "html")
  if not ok then
    warn("could not read an HTML output: " .. tostring(doc))
    return pandoc.List()
  end
  local out = pandoc.List()
  local function visit(blocks)
    for _, b in ipairs(blocks) do
      if b.t == "Table" then
        local tbl, title, notes = clean_table(b)
        if #title > 0 then out:insert(pandoc.Para({ pandoc.Strong(title) })) end
        out:insert(tbl)
        out:extend(small_notes(notes))
      elseif b.t == "Div" then
        visit(b.content)
      elseif b.t ~= "RawBlock" then
        out:insert(b)
      end
    end
  end
  visit(doc.blocks)
  return out
end

local function first_table(blocks)
  for i, b in ipairs(blocks) do
    if b.t == "Table" then return i, b end
  end
  return nil
end

-- many columns: a smaller font for this table only (Typst)
local function maybe_small(blocks, tbl)
  if not is_typst or (#tbl.colspecs < 8 and not SMALL[tbl]) then return blocks end
  local out = pandoc.List({ pandoc.RawBlock("typst", "#[#show table: set text(size: 7.4pt)") })
  out:extend(blocks)
  out:insert(pandoc.RawBlock("typst", "]"))
  return out
end

-- HTML: the table's box is a labelled, focusable region (a wide table scrolls sideways, by
-- keyboard too) and the table names its caption (aria-labelledby): axe's
-- scrollable-region-focusable and a programmatic caption
local n_regions = 0
function html_table_region(div, caption)
  n_regions = n_regions + 1
  local cap_id = (div.identifier ~= "" and div.identifier or ("table-" .. n_regions)) .. "-caption"
  local label = stringify(caption)
  for _, b in ipairs(div.content) do
    if b.t == "Div" and has_class(b, "report-table-caption") then b.identifier = cap_id end
    if b.t == "RawBlock" and b.format == "html" then
      b.text = b.text:gsub("<table", '<table aria-labelledby="' .. cap_id .. '"', 1)
    end
  end
  div.attributes["role"] = "region"
  div.attributes["tabindex"] = "0"
  div.attributes["aria-label"] = label ~= "" and label or "Table"
  return div
end

-- Typst: a column with one value in every row (n = 409) says it once, in the caption
local function constant_columns(tbl)
  local ncol = #tbl.colspecs
  local notes = pandoc.List()
  if ncol < 3 or #tbl.head.rows ~= 1 or #tbl.bodies ~= 1 or #tbl.bodies[1].body < 3 then return notes end
  local drop = {}
  for j = ncol, 2, -1 do
    local head = stringify(tbl.head.rows[1].cells[j].contents)
    local value, same = nil, true
    for _, row in ipairs(tbl.bodies[1].body) do
      if #row.cells == ncol then
        local t = stringify(row.cells[j].contents)
        value = value or t
        if t ~= value then same = false break end
      elseif not (#row.cells == 1 and row.cells[1].col_span == ncol) then
        same = false
        break
      end
    end
    if same and value ~= "" and head:match("^[nN]%f[%W]") then
      notes:insert(1, head .. " = " .. value)
      table.insert(drop, j)
    end
  end
  for _, j in ipairs(drop) do
    tbl.colspecs:remove(j)
    tbl.head.rows[1].cells:remove(j)
    for _, rows in ipairs({ tbl.bodies[1].head, tbl.bodies[1].body }) do
      for _, row in ipairs(rows) do
        if #row.cells == 1 and row.cells[1].col_span > 1 then
          row.cells[1].col_span = row.cells[1].col_span - 1 -- a group heading spans one column less
        else
          row.cells:remove(j)
        end
      end
    end
  end
  local sum = 0
  for _, c in ipairs(tbl.colspecs) do sum = sum + (tonumber(c[2]) or 0) end
  if sum > 0 then
    for k, c in ipairs(tbl.colspecs) do tbl.colspecs[k] = { c[1], (tonumber(c[2]) or 0) / sum } end
  end
  return notes
end

-- Typst: a table of up to KEEP_ROWS rows is never split across pages (nor a group heading left
-- at a page foot); longer tables break between rows (never inside one: report.typ) and repeat
-- their header
local KEEP_LINES = 24 -- about a third of a page of table text
local function estimated_lines(tbl)
  local ncol = #tbl.colspecs
  local lines = 0
  for _, b in ipairs(tbl.bodies) do
    for _, row in ipairs(b.body) do
      local most = 1
      for j, cell in ipairs(row.cells) do
        local share = tonumber(tbl.colspecs[j] and tbl.colspecs[j][2]) or (1 / ncol)
        if share <= 0 then share = 1 / ncol end
        most = math.max(most, math.ceil(text_len(stringify(cell.contents)) / math.max(WIDE * share - 2, 4)))
      end
      lines = lines + most
    end
  end
  return lines
end

-- A long table with row groups (great_tables' group headings) is set as one block per group,
-- each kept whole, so that no group heading is left alone at a page foot; the header and the
-- caption stay with the first group. Returns nil for a table without groups.
local function split_groups(blocks, tbl)
  if #tbl.bodies ~= 1 then return nil end
  local groups, current = {}, nil
  for _, row in ipairs(tbl.bodies[1].body) do
    if row_has(row, "gt_group_heading_row") or current == nil then
      current = pandoc.List()
      table.insert(groups, current)
    end
    current:insert(row)
  end
  if #groups < 2 then return nil end
  local plain = {}
  for j = 1, #tbl.colspecs do plain[j] = tonumber(tbl.colspecs[j][2]) or 0 end
  if plain[1] == 0 then -- auto widths would differ from part to part: set them once
    set_widths(tbl, true)
  end
  local b1 = tbl.bodies[1]
  local out = pandoc.List()
  for k, rows in ipairs(groups) do
    local body = { attr = b1.attr, body = rows, head = k == 1 and b1.head or {}, row_head_columns = b1.row_head_columns }
    local part
    if k == 1 then
      part = tbl:clone()
      part.bodies = { body }
    else
      part = pandoc.Table({ long = {}, short = {} }, tbl.colspecs, pandoc.TableHead({}), { body }, pandoc.TableFoot({}))
    end
    if k == 1 then -- what comes before the table (a font size rule, say) opens first
      for _, b in ipairs(blocks) do
        if b == tbl then break end
        out:insert(b)
      end
    end
    out:insert(pandoc.RawBlock("typst", "#block(breakable: false, below: 0pt)["))
    out:insert(part)
    out:insert(pandoc.RawBlock("typst", "]"))
    if k == #groups then -- the table's notes, and what closes the opening blocks, after the last group
      local after = false
      for _, b in ipairs(blocks) do
        if after then out:insert(b) end
        if b == tbl then after = true end
      end
    end
  end
  return out
end

local function keep_together(blocks, tbl)
  if not is_typst then return blocks end
  if estimated_lines(tbl) > KEEP_LINES then return split_groups(blocks, tbl) or blocks end
  local out = pandoc.List({ pandoc.RawBlock("typst", "#block(breakable: false)[") })
  out:extend(blocks)
  out:insert(pandoc.RawBlock("typst", "]"))
  return out
end

local function report_table(div)
  local caption = pandoc.List()
  local rest = pandoc.List()
  for _, b in ipairs(div.content) do
    if b.t == "Div" and has_class(b, "report-table-caption") then
      caption = pandoc.utils.blocks_to_inlines(b.content)
    else
      rest:insert(b)
    end
  end
  local id = div.identifier
  if is_html then return html_table_region(div, caption) end
  -- a Markdown table: give it the caption and the label
  local i, tbl = first_table(rest)
  if tbl then
    tbl.caption = { long = { pandoc.Plain(caption) } }
    tbl.attr = pandoc.Attr(id)
    rest[i] = tbl
    return rest
  end
  local blocks = pandoc.List()
  for _, b in ipairs(rest) do
    if b.t == "RawBlock" and b.format == "html" then blocks:extend(html_to_blocks(b.text)) else blocks:insert(b) end
  end
  local j, t = first_table(blocks)
  if not t then
    warn("no table found in " .. (id ~= "" and id or "a table output"))
    return blocks
  end
  -- the great_tables title goes under the number if there is no tbl-cap
  if j > 1 and blocks[j - 1].t == "Para" and #blocks[j - 1].content == 1 and blocks[j - 1].content[1].t == "Strong" then
    local title = blocks[j - 1].content[1].content
    local own = caption
    if #caption > 0 and caption[1].t == "Strong" then
      own = pandoc.Inlines({})
      for k = 2, #caption do own:insert(caption[k]) end
    end
    own = stringify(own):gsub("^%s+", "")
    if own == "" then
      caption:insert(pandoc.Space())
      caption:extend(title)
    elseif stringify(title) ~= own then
      if not own:match("[.:;!?]$") then caption:insert(pandoc.Str(".")) end
      caption:insert(pandoc.Space())
      caption:extend(title)
    end
    blocks:remove(j - 1)
    j = j - 1
  end
  local constant = constant_columns(t)
  if #constant > 0 then
    if #caption > 0 and not stringify(caption):match("[.:;!?]$") then caption:insert(pandoc.Str(".")) end
    caption:insert(pandoc.Space())
    caption:extend(pandoc.Inlines(table.concat(constant, "; ") .. " in every row."))
  end
  t.caption = { long = { pandoc.Plain(caption) } }
  t.attr = pandoc.Attr(id)
  blocks[j] = t
  return keep_together(maybe_small(blocks, t), t)
end

-- callouts and conditional content -------------------------------------------

local CALLOUT = {
  note = { "Note", "#2b6cb0" }, tip = { "Tip", "#2f855a" }, warning = { "Warning", "#b7791f" },
  important = { "Important", "#c53030" }, caution = { "Caution", "#c05621" },
}

local function callout(div)
  local kind
  for _, c in ipairs(div.classes) do
    local k = c:match("^callout%-(%a+)$")
    if k and CALLOUT[k] then kind = k end
  end
  if not kind then return nil end
  local title = div.attributes.title and pandoc.Inlines(div.attributes.title) or nil
  local content = pandoc.List(div.content)
  if not title and content[1] and content[1].t == "Header" then
    title = content[1].content
    content:remove(1)
  end
  title = title or pandoc.Inlines(CALLOUT[kind][1])
  if is_typst then
    local color = CALLOUT[kind][2]
    local out = pandoc.List({ pandoc.RawBlock("typst",
      "#block(width: 100%, breakable: true, inset: (x: 10pt, y: 8pt), radius: 2pt, fill: rgb(\"" .. color ..
      "\").lighten(92%), stroke: (left: 2.5pt + rgb(\"" .. color .. "\")))[") })
    out:insert(pandoc.Para({ pandoc.Strong(title) }))
    out:extend(content)
    out:insert(pandoc.RawBlock("typst", "]"))
    return out
  end
  local head = pandoc.Div({ pandoc.Plain(title) }, pandoc.Attr("", { "callout-title" }))
  local body = pandoc.Div(content, pandoc.Attr("", { "callout-body" }))
  return pandoc.Div({ head, body }, pandoc.Attr(div.identifier, { "callout", "callout-" .. kind }))
end

local function format_matches(spec)
  if not spec then return nil end
  for f in spec:gmatch("[^%s,]+") do
    if f == FORMAT or (f == "html" and is_html) or ((f == "pdf" or f == "typst") and is_typst) then return true end
  end
  return false
end

local function conditional(div)
  if has_class(div, "content-visible") then
    local w, u = format_matches(div.attributes["when-format"]), format_matches(div.attributes["unless-format"])
    if w == false or u == true then return {} end
    return div.content
  elseif has_class(div, "content-hidden") then
    local w, u = format_matches(div.attributes["when-format"]), format_matches(div.attributes["unless-format"])
    if w == true or u == false or (w == nil and u == nil) then return {} end
    return div.content
  end
  return nil
end

-- cache of the tables converted for print ------------------------------------
-- Reading each HTML table with pandoc.read and laying it out is most of this filter's time. The
-- result is a function of the div alone (and of this filter, pandoc and the format), so it is
-- kept as pandoc JSON, named by a hash of those, in the folder REPORT_TABLE_CACHE; a later render
-- reads it from REPORT_TABLE_CACHE_READ (the previous render's folder) instead of converting
-- again. Every table used is written to the new folder, so it never holds a table the report
-- no longer has. tests/test_build_report.py: the same bytes with and without the cache.

local CACHE_WRITE = os.getenv("REPORT_TABLE_CACHE")
local CACHE_READ = os.getenv("REPORT_TABLE_CACHE_READ")
local cache_salt = nil

local function slurp(path)
  local f = path and io.open(path, "rb")
  if not f then return nil end
  local text = f:read("a")
  f:close()
  return text
end

local function cached(div, convert)
  if not CACHE_WRITE then return convert(div) end
  if not cache_salt then
    cache_salt = pandoc.utils.sha1((slurp(PANDOC_SCRIPT_FILE) or "") .. tostring(PANDOC_VERSION) .. FORMAT)
  end
  local name = pandoc.utils.sha1(cache_salt .. pandoc.write(pandoc.Pandoc({ div }), "json")) .. ".json"
  local text = CACHE_READ and slurp(CACHE_READ .. "/" .. name)
  local blocks
  if text then
    local doc = pandoc.read(text, "json")
    blocks = doc.blocks
    for _, w in ipairs(doc.meta.warnings or {}) do warn(stringify(w)) end
  else
    captured = pandoc.List()
    blocks = pandoc.Blocks(convert(div))
    text = pandoc.write(pandoc.Pandoc(blocks, { warnings = captured }), "json")
    captured = nil
  end
  local path = CACHE_WRITE .. "/" .. name
  local f = io.open(path .. ".tmp", "wb")
  if f then
    f:write(text)
    f:close()
    os.rename(path .. ".tmp", path)
  end
  return blocks
end

local function html_output_blocks(div)
  local out = pandoc.List()
  for _, b in ipairs(div.content) do
    if b.t == "RawBlock" and b.format == "html" then out:extend(html_to_blocks(b.text)) else out:insert(b) end
  end
  return out
end

local function Div(div)
  local c = conditional(div)
  if c then return c end
  if has_class(div, "report-table") then
    if is_html then return report_table(div) end -- cheap, and numbers its regions in order
    return cached(div, report_table)
  end
  if has_class(div, "cell-output-html") and is_html then
    -- an unnumbered table output: a labelled, focusable scroll box too
    for _, b in ipairs(div.content) do
      if b.t == "RawBlock" and b.format == "html" and b.text:find("<table") then
        local title = b.text:match('class="gt_heading gt_title[^"]*"[^>]*>(.-)</') or b.text:match("<caption[^>]*>(.-)</caption>")
        div.attributes["role"] = "region"
        div.attributes["tabindex"] = "0"
        div.attributes["aria-label"] = title and title:gsub("<[^>]+>", "") or "Table"
        return div
      end
    end
    return nil
  end
  if has_class(div, "cell-output-html") and not is_html then return cached(div, html_output_blocks) end
  return callout(div)
end

-- figures: vector (SVG) at natural size, scaled down to fit the text width and a page height
-- with its caption; alt text (written from the data) as Typst's image(alt: ...), which the PDF's
-- structure tree carries (pandoc's Typst writer drops it)
local TEXT_WIDTH, MAX_HEIGHT = 465, 560 -- pt: A4 with the template's margins, less a caption

-- A tall figure floats (placement: auto): when it does not fit in what is left of a page it
-- goes to the top of the next while the text fills this one, so no page is left mostly empty
-- in front of it. Short figures stay exactly where they are.
local TALL_HEIGHT = 330 -- pt, about half the text height
local TALL = {}

local function Figure(fig)
  if not is_typst then return nil end
  local tall = false
  fig.content:walk({ RawInline = function(r)
    local src = r.text:match('image%("([^"]+)"')
    if src and TALL[src] then tall = true end
  end })
  if not tall then return nil end
  return { pandoc.RawBlock("typst", "#[#set figure(placement: auto)"), fig, pandoc.RawBlock("typst", "]") }
end

local function svg_size(src)
  local f = io.open(src, "r")
  if not f then return nil end
  local head = f:read(4000) or ""
  f:close()
  local tag = head:match("<svg.->") or ""
  return tonumber(tag:match('width="([%d.]+)pt"')), tonumber(tag:match('height="([%d.]+)pt"'))
end

local function typst_string(s)
  return '"' .. (s:gsub("\\", "\\\\"):gsub('"', '\\"')) .. '"'
end

local function Image(img)
  if not is_typst then return nil end
  local params = { typst_string(img.src) }
  -- pandoc's reader keeps an `alt` attribute as the image's description (its caption field),
  -- and the figure's caption apart
  local alt = img.attributes.alt or stringify(img.caption)
  if alt and alt ~= "" then table.insert(params, "alt: " .. typst_string(alt)) end
  local w, h = svg_size(img.src)
  if w and h then
    local scale = math.min(1, TEXT_WIDTH / w, MAX_HEIGHT / h)
    table.insert(params, string.format("width: %.1fpt", w * scale))
    TALL[img.src] = h * scale > TALL_HEIGHT
  end
  return pandoc.RawInline("typst", "#box(image(" .. table.concat(params, ", ") .. "))")
end

-- chapters open a new page in print: only top-level chapter headings (a heading inside a
-- container cannot break the page in Typst)
local function Pandoc(doc)
  if not is_typst then return nil end
  local blocks = pandoc.List()
  for _, b in ipairs(doc.blocks) do
    if b.t == "Header" and b.level == 1 then
      blocks:insert(pandoc.RawBlock("typst", "#pagebreak(weak: true)"))
    end
    blocks:insert(b)
  end
  doc.blocks = blocks
  return doc
end

return {
  { Meta = read_meta },
  { Div = Div, Cite = Cite, Image = Image },
  { Figure = Figure },
  { Pandoc = Pandoc },
}
