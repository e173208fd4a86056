using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using ScanTools.Storage;
using CatalogFiles = ScanTools.Storage.CatalogFiles;

namespace ScanTools.Reports;

/// <summary>What Export-ScanReport puts in a report.</summary>
public sealed record ScanReportOptions
{
    /// <summary>The run to report on (sizes as of it, its changes and errors); null: the present files and the newest run.</summary>
    public long? ScanId { get; init; }

    /// <summary>Levels of folders in the treemap below each top folder (1 to 6).</summary>
    public int Depth { get; init; } = 3;

    /// <summary>At most this many subfolders of one folder get their own box; the rest are one box.</summary>
    public int MaxChildren { get; init; } = 30;

    /// <summary>Rows in each list (changes, findings, errors, duplicate groups).</summary>
    public int MaxRows { get; init; } = 100;

    /// <summary>The report's title; default: "ScanTools report" and the catalog's name.</summary>
    public string? Title { get; init; }
}

/// <summary>
/// Writes one self-contained HTML page about a catalog or a run: totals, a treemap of where the space goes, size by
/// extension and owner, changes, open findings, duplicate groups by stored hash, and the run's errors. Every script and
/// style is inline (no network when it is viewed); the treemap's layout is d3-hierarchy's (ISC licence, embedded with
/// its notice). File names are data, never markup: the page sets them as text.
/// </summary>
public static class ScanReport
{
    /// <summary>Changes counted at most (see Collect).</summary>
    internal const int ChangeCountLimit = 100_000;

    /// <summary>Writes the report of <paramref name="reader"/>'s catalog to <paramref name="output"/>.</summary>
    /// <exception cref="ArgumentException">Options out of range, or a run the catalog does not hold.</exception>
    public static void Write(CatalogReader reader, ScanReportOptions options, TextWriter output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        if (options.Depth is < 1 or > 6)
        {
            throw new ArgumentException("-Depth must be 1 to 6 for a report: deeper treemaps are too small to read.");
        }
        JsonObject data = Collect(reader, options, cancellationToken);
        string json = data.ToJsonString(new JsonSerializerOptions { WriteIndented = false }); // the default encoder escapes <, > and &: safe inside <script>
        string title = options.Title ?? "ScanTools report: " + Path.GetFileName(reader.DatabasePath);
        output.Write(Template
            .Replace("{{TITLE}}", System.Net.WebUtility.HtmlEncode(title), StringComparison.Ordinal)
            .Replace("{{D3_LICENSE}}", Resource("ScanTools.Reports.d3-hierarchy.LICENSE.txt").Replace("*/", "* /", StringComparison.Ordinal), StringComparison.Ordinal)
            .Replace("{{D3}}", Resource("ScanTools.Reports.d3-hierarchy.min.js"), StringComparison.Ordinal)
            .Replace("{{DATA}}", json, StringComparison.Ordinal));
    }

    /// <summary>
    /// Writes the report to the file <paramref name="path"/>: first to a draft next to it, then moved into place whole, so
    /// a reader never sees half a page and a failed or stopped report leaves the old file as it was.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// The folder does not exist, the path is a folder, it is one of the catalog's own files, or the file exists and
    /// <paramref name="force"/> is false.
    /// </exception>
    /// <exception cref="IOException">The report could not be written (its folder not writable, the disk full); the message names the report.</exception>
    public static FileInfo WriteFile(CatalogReader reader, string path, ScanReportOptions options, bool force, CancellationToken cancellationToken = default)
    {
        path = Platform.ReplacedFile.ThroughLinks(path); // a link to the report: the link stays, the file it names is replaced
        CheckDestination(reader.DatabasePath, path, force);
        // NAME.partial-PID-ID, as a backup's: a draft a killed process left is removed by the next report to NAME.
        CatalogFiles.RemoveDeadDrafts(path);
        string draft = CatalogFiles.DraftFor(path, CatalogFiles.PartialInfix);
        try
        {
            using (var writer = new StreamWriter(draft, append: false, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false)))
            {
                Write(reader, options, writer, cancellationToken);
            }
            Platform.ReplacedFile.Replace(draft, path); // a report replaced with -Force keeps its mode
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Name the report, not the draft beside it that the error was about.
            throw new IOException(ex is UnauthorizedAccessException
                ? $"The report '{path}' could not be written: permission denied in the folder '{Path.GetDirectoryName(path)}'. Give a -Path in a folder you can write."
                : $"The report '{path}' could not be written: {ex.Message}", ex);
        }
        finally
        {
            File.Delete(draft); // gone already when the move succeeded
        }
        return new FileInfo(path);
    }

    /// <summary>What <see cref="WriteFile"/> refuses, checked before anything is read (so -WhatIf can tell too).</summary>
    /// <exception cref="ArgumentException">See <see cref="WriteFile"/>.</exception>
    public static void CheckDestination(string catalog, string path, bool force)
    {
        if (Directory.Exists(path)) // first: the root folder '/' has no folder of its own
        {
            throw new ArgumentException($"'{path}' is a folder. Give the report's file name, for example '{Path.Join(path, "scan-report.html")}'.");
        }
        string? folder = Path.GetDirectoryName(path);
        if (string.IsNullOrEmpty(folder) || !Directory.Exists(folder))
        {
            throw new ArgumentException(Platform.FileInTheWay.MissingFolderMessage(folder, $"the report '{path}'", "give a -Path in an existing folder"));
        }
        if (Platform.PathComparison.Comparer.Equals(Path.GetDirectoryName(catalog), folder)
            && CatalogFiles.IsCatalogOrCompanionName(Path.GetFileName(catalog), Path.GetFileName(path)))
        {
            throw new ArgumentException($"'{path}' is one of the catalog's own files; a report cannot replace it. Choose another -Path.");
        }
        if ((CatalogFileGuard.OwnFileProblem(path) ?? CatalogFileGuard.SpecialFileProblem(path)) is string own)
        {
            throw new ArgumentException(own);
        }
        if (File.Exists(path) && !force)
        {
            throw new ArgumentException($"The file '{path}' exists. Add -Force to replace it, or choose another -Path.");
        }
        if (File.Exists(path) && !IsHtmlOrEmpty(path))
        {
            // -Force replaced a SARIF report, a CSV or a read-only file with HTML, as Backup-ScanCatalog -Force does not.
            throw new ArgumentException($"'{path}' is not an HTML file; -Force replaces only an HTML file, such as an earlier report. Choose another -Path, or remove the file first.");
        }
    }

    /// <summary>Whether the file is empty or begins (after a byte-order mark and blanks) with &lt;!DOCTYPE html or &lt;html.</summary>
    private static bool IsHtmlOrEmpty(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var head = new byte[512];
            int read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            string text = System.Text.Encoding.UTF8.GetString(head, 0, read).TrimStart('\uFEFF', ' ', '\t', '\r', '\n');
            return read == 0 || text.StartsWith("<!doctype html", StringComparison.OrdinalIgnoreCase) || text.StartsWith("<html", StringComparison.OrdinalIgnoreCase);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return true; // unreadable here: writing it fails with its own error
        }
    }

    private static JsonObject Collect(CatalogReader reader, ScanReportOptions options, CancellationToken cancellationToken)
    {
        IReadOnlyList<ScanRun> runs = reader.GetScanRuns();
        ScanRun? run = options.ScanId is long id
            ? runs.FirstOrDefault(r => r.Id == id) ?? throw new ArgumentException($"The catalog has no scan run {id}; Get-ScanRun lists its runs.")
            // The newest completed scan: a Find-DuplicateFile or Write-Finding run after it became the report's run, with
            // no changes or errors of its own to show.
            : runs.FirstOrDefault(r => r.Status == ScanRunStatus.Completed && r.Kind == "Scan")
              ?? runs.FirstOrDefault(r => r.Status == ScanRunStatus.Completed) ?? runs.FirstOrDefault();
        IReadOnlyList<FolderSize> folders = reader.MeasureFolders(new FolderSizeQuery { Depth = options.Depth, ScanId = options.ScanId }, cancellationToken);
        var tops = folders.Where(f => f.Depth == 0).ToList();
        string[] topPaths = tops.Select(t => t.FullName).ToArray();
        var data = new JsonObject
        {
            ["title"] = options.Title ?? "ScanTools report: " + Path.GetFileName(reader.DatabasePath),
            ["database"] = reader.DatabasePath,
            ["generated"] = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", System.Globalization.CultureInfo.InvariantCulture),
            ["asOf"] = options.ScanId is long s ? $"as of scan run {s}" : "present files",
            ["totals"] = new JsonObject
            {
                ["bytes"] = tops.Sum(t => t.Bytes),
                ["size"] = Hosting.ByteSize.Format(tops.Sum(t => t.Bytes)),
                ["files"] = tops.Sum(t => t.Files),
                ["folders"] = tops.Sum(t => t.Folders + 1),
                ["runs"] = runs.Count,
            },
            ["run"] = run is null ? null : new JsonObject
            {
                ["id"] = run.Id,
                ["kind"] = run.Kind,
                ["status"] = run.Status.ToString(),
                ["started"] = run.StartedUtc.ToString("yyyy-MM-dd HH:mm 'UTC'", System.Globalization.CultureInfo.InvariantCulture),
                ["roots"] = string.Join(", ", run.Roots),
                ["files"] = run.Files,
                ["errors"] = run.Errors,
            },
            ["tree"] = Tree(folders, options.MaxChildren),
            // The same folders as the totals and the tree: over the whole catalog, a file Write-Finding recorded outside the
            // scans' folders was in these tables and not in the totals above them (newcomer test 75).
            ["extensions"] = Groups(reader.MeasureFiles(FileGrouping.Extension, topPaths, options.ScanId, 20, cancellationToken)),
            ["owners"] = Groups(reader.MeasureFiles(FileGrouping.Owner, topPaths, options.ScanId, 10, cancellationToken)),
        };
        if (run is not null)
        {
            // One pass over the run's changes: the first rows listed, the kinds counted up to ChangeCountLimit (a first scan's
            // million "added" would take seconds to count; Get-ScanChange -Summary counts them all).
            var list = new JsonArray();
            var counts = new Dictionary<ScanChangeType, long>();
            long seen = 0;
            foreach (ScanChange c in reader.GetChanges(new ScanChangeQuery { ScanId = new[] { run.Id } }, cancellationToken))
            {
                if (list.Count < options.MaxRows)
                {
                    list.Add(new JsonObject { ["type"] = c.ChangeType.ToString(), ["path"] = c.FullName, ["detail"] = c.Detail });
                }
                counts[c.ChangeType] = counts.GetValueOrDefault(c.ChangeType) + 1;
                if (++seen >= ChangeCountLimit)
                {
                    break;
                }
            }
            data["changes"] = new JsonObject
            {
                ["run"] = run.Id,
                ["added"] = counts.GetValueOrDefault(ScanChangeType.Added),
                ["removed"] = counts.GetValueOrDefault(ScanChangeType.Removed),
                ["modified"] = counts.GetValueOrDefault(ScanChangeType.Modified),
                ["renamed"] = counts.GetValueOrDefault(ScanChangeType.Renamed),
                ["capped"] = seen >= ChangeCountLimit,
                ["list"] = list,
            };
            data["errors"] = new JsonArray(reader.GetScanErrors(new ScanErrorQuery { ScanId = new[] { run.Id }, First = options.MaxRows })
                .Select(e => (JsonNode)new JsonObject { ["kind"] = e.Kind.ToString(), ["path"] = e.FullName, ["message"] = e.Message }).ToArray());
        }
        data["findings"] = new JsonArray(reader.FindMatches(new Rules.FindingMatchQuery { First = options.MaxRows }, cancellationToken)
            .OrderByDescending(m => m.Severity).Take(options.MaxRows)
            .Select(m => (JsonNode)new JsonObject { ["severity"] = m.Severity.ToString(), ["rule"] = m.RuleId, ["location"] = m.Location, ["excerpt"] = m.Excerpt }).ToArray());
        data["duplicates"] = Duplicates(reader.DatabasePath, Math.Min(options.MaxRows, 50));
        return data;
    }

    /// <summary>The folders (in tree order, with depths) as nested nodes; past <paramref name="maxChildren"/> a folder's smaller subfolders are one node.</summary>
    private static JsonObject Tree(IReadOnlyList<FolderSize> folders, int maxChildren)
    {
        var root = new JsonObject { ["name"] = "all", ["path"] = "", ["children"] = new JsonArray() };
        var stack = new List<(JsonObject Node, FolderSize? Folder, int Kept, long KeptBytes, long OtherBytes, long OtherCount)>
        {
            (root, null, 0, 0, 0, 0),
        };
        void Close()
        {
            var (node, folder, _, keptBytes, otherBytes, otherCount) = stack[^1];
            stack.RemoveAt(stack.Count - 1);
            if (otherCount > 0)
            {
                ((JsonArray)node["children"]!).Add(new JsonObject { ["name"] = $"({otherCount} smaller folders)", ["path"] = (folder?.FullName ?? "") + " …", ["value"] = otherBytes, ["size"] = Hosting.ByteSize.Format(otherBytes) });
            }
            if (folder is not null)
            {
                // The folder's own files: what its boxes do not cover; a box of their own when it has subfolders too.
                long own = Math.Max(0, folder.Bytes - keptBytes - otherBytes);
                var children = (JsonArray)node["children"]!;
                if (children.Count == 0)
                {
                    node["value"] = own;
                }
                else if (own > 0)
                {
                    children.Add(new JsonObject { ["name"] = "(files in " + folder.Name + ")", ["path"] = folder.FullName, ["value"] = own, ["size"] = Hosting.ByteSize.Format(own) });
                }
            }
        }
        foreach (FolderSize f in folders)
        {
            while (stack.Count > f.Depth + 1)
            {
                Close();
            }
            var parent = stack[^1];
            if (parent.Kept >= maxChildren)
            {
                stack[^1] = parent with { OtherBytes = parent.OtherBytes + f.Bytes, OtherCount = parent.OtherCount + 1 };
                stack.Add((new JsonObject { ["children"] = new JsonArray() }, null, int.MaxValue, 0, 0, 0)); // a discarded subtree
                continue;
            }
            var node = new JsonObject
            {
                ["name"] = f.Name,
                ["path"] = f.FullName,
                ["size"] = f.Size,
                ["files"] = f.Files,
                ["children"] = new JsonArray(),
            };
            if (parent.Kept != int.MaxValue)
            {
                ((JsonArray)parent.Node["children"]!).Add(node);
                stack[^1] = parent with { Kept = parent.Kept + 1, KeptBytes = parent.KeptBytes + f.Bytes };
            }
            stack.Add((node, f, parent.Kept == int.MaxValue ? int.MaxValue : 0, 0, 0, 0));
        }
        while (stack.Count > 1)
        {
            Close();
        }
        return root;
    }

    private static JsonArray Groups(IReadOnlyList<FileGroupSize> groups) =>
        new(groups.Select(g => (JsonNode)new JsonObject { ["key"] = g.Key.Length == 0 ? "(none)" : g.Key, ["size"] = g.Size, ["bytes"] = g.Bytes, ["files"] = g.Files, ["percent"] = g.Percent }).ToArray());

    /// <summary>Groups of present files with the same stored hash on different inodes, most bytes to gain first (from the catalog; nothing is read).</summary>
    private static JsonArray Duplicates(string database, int max)
    {
        var groups = new JsonArray();
        using SqliteConnection connection = CatalogDatabase.OpenForReading(database); // as every reader: read-only catalogs, busy waits
        using SqliteCommand c = connection.CreateCommand();
        c.CommandText = """
            SELECT sha256, max(size), count(DISTINCT coalesce(device, 0) || ':' || coalesce(inode, rowid_like)) AS copies
            FROM (SELECT sha256, size, device, inode, dir_id || '/' || name AS rowid_like FROM files
                  WHERE sha256 IS NOT NULL AND removed_scan_id IS NULL AND kind = 0 AND is_link = 0 AND size > 0)
            GROUP BY sha256 HAVING copies > 1
            ORDER BY max(size) * (copies - 1) DESC LIMIT $max;
            """;
        c.Parameters.AddWithValue("$max", max);
        var found = new List<(byte[] Hash, long Size, long Copies)>();
        using (SqliteDataReader r = c.ExecuteReader())
        {
            while (r.Read())
            {
                found.Add(((byte[])r.GetValue(0), r.GetInt64(1), r.GetInt64(2)));
            }
        }
        c.CommandText = """
            SELECT d.path, f.name, count(*) OVER () FROM files f JOIN directories d ON d.id = f.dir_id
            WHERE f.sha256 = $hash AND f.removed_scan_id IS NULL AND f.kind = 0 AND f.is_link = 0 ORDER BY d.path, f.name LIMIT 10;
            """;
        c.Parameters.Clear();
        SqliteParameter hash = c.Parameters.Add("$hash", SqliteType.Blob);
        foreach ((byte[] h, long size, long copies) in found)
        {
            hash.Value = h;
            var paths = new JsonArray();
            long all = 0;
            using (SqliteDataReader r = c.ExecuteReader())
            {
                while (r.Read())
                {
                    paths.Add(Path.Join(r.GetString(0), r.GetString(1)));
                    all = r.GetInt64(2);
                }
            }
            groups.Add(new JsonObject
            {
                ["hash"] = Convert.ToHexString(h),
                ["size"] = Hosting.ByteSize.Format(size),
                ["copies"] = copies,
                ["wasted"] = Hosting.ByteSize.Format(size * (copies - 1)),
                ["paths"] = paths,
                ["more"] = Math.Max(0, all - paths.Count), // paths beyond the first 10
            });
        }
        return groups;
    }

    private static string Resource(string name)
    {
        using Stream stream = typeof(ScanReport).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"The report resource {name} is missing from the engine assembly.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    private const string Template = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
        <title>{{TITLE}}</title>
        <style>
        body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1d2430; background: #f6f7f9; }
        header { background: #1d2430; color: #fff; padding: 16px 24px; }
        header h1 { margin: 0 0 4px; font-size: 20px; }
        header p { margin: 0; opacity: .8; }
        main { padding: 16px 24px; max-width: 1400px; }
        section { background: #fff; border-radius: 6px; padding: 12px 16px; margin: 0 0 16px; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
        h2 { font-size: 16px; margin: 0 0 8px; }
        .totals { display: flex; gap: 24px; flex-wrap: wrap; }
        .total { min-width: 120px; }
        .total b { display: block; font-size: 22px; }
        #treemap { position: relative; width: 100%; height: 560px; background: #eef0f3; overflow: hidden; }
        .tm-box { position: absolute; box-sizing: border-box; border: 1px solid rgba(255,255,255,.7); overflow: hidden; font-size: 11px; color: #fff; padding: 1px 3px; white-space: nowrap; text-overflow: ellipsis; }
        table { border-collapse: collapse; width: 100%; }
        th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid #e6e8eb; vertical-align: top; }
        td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
        td.path { word-break: break-all; font-family: ui-monospace, monospace; font-size: 12px; white-space: pre-wrap; }
        .bar { background: #4c78a8; height: 10px; }
        .empty { color: #667; font-style: italic; }
        .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 16px; }
        </style>
        </head>
        <body>
        <header><h1 id="title"></h1><p id="subtitle"></p></header>
        <main>
        <section><h2>Totals</h2><div class="totals" id="totals"></div></section>
        <section><h2>Where the space goes</h2><div id="treemap" role="img" aria-label="Treemap of folder sizes"></div></section>
        <div class="grid">
        <section><h2>Size by extension</h2><div id="extensions"></div></section>
        <section><h2>Size by owner</h2><div id="owners"></div></section>
        </div>
        <section><h2 id="changes-title">Changes</h2><div id="changes"></div></section>
        <section><h2>Open findings now</h2><div id="findings"></div></section>
        <section><h2>Duplicate groups now (stored hashes)</h2><div id="duplicates"></div></section>
        <section><h2>Errors of the run</h2><div id="errors"></div></section>
        </main>
        <script>
        /*! d3-hierarchy 3.1.3, https://github.com/d3/d3-hierarchy
        {{D3_LICENSE}} */
        {{D3}}
        </script>
        <script type="application/json" id="report-data">{{DATA}}</script>
        <script>
        (function () {
          "use strict";
          var root = document.documentElement, errors = [];
          window.addEventListener("error", function (e) { errors.push(String(e.message)); root.setAttribute("data-script-errors", errors.join(" | ")); });
          var data = JSON.parse(document.getElementById("report-data").textContent);
          // Control characters, line separators and direction overrides in names are shown as escapes, so a name cannot
          // fake a line of its own or turn text around.
          function shown(text) {
            return String(text).replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, function (c) {
              return "\\u" + ("000" + c.charCodeAt(0).toString(16)).slice(-4);
            });
          }
          function el(tag, text, cls) { var e = document.createElement(tag); if (text !== undefined && text !== null) e.textContent = shown(text); if (cls) e.className = cls; return e; }
          function table(id, columns, rows, empty) {
            var host = document.getElementById(id);
            if (!rows || rows.length === 0) { host.appendChild(el("p", empty, "empty")); return; }
            var t = el("table"), head = el("tr");
            columns.forEach(function (c) { head.appendChild(el("th", c.label, c.num ? "num" : "")); });
            t.appendChild(head);
            rows.forEach(function (r) {
              var tr = el("tr");
              columns.forEach(function (c) {
                var td = el("td", null, c.num ? "num" : c.path ? "path" : "");
                if (c.bar) { var b = el("div", null, "bar"); b.style.width = Math.max(1, Math.round(r[c.key])) + "%"; td.appendChild(b); }
                else if (typeof r[c.key] === "number") td.textContent = r[c.key].toLocaleString("en-US");
                else if (c.lines) td.textContent = r[c.key].map(shown).join("\n");
                else td.textContent = r[c.key] === undefined || r[c.key] === null ? "" : shown(r[c.key]);
                tr.appendChild(td);
              });
              t.appendChild(tr);
            });
            host.appendChild(t);
          }
          document.getElementById("title").textContent = data.title;
          document.getElementById("subtitle").textContent = data.database + " \u2014 " + data.asOf + ", generated " + data.generated +
            (data.run ? " \u2014 scan run " + data.run.id + " (" + data.run.status + ", " + data.run.started + ", " + data.run.roots + ")" : "");
          var totals = document.getElementById("totals");
          [["Size", data.totals.size, "total-size"], ["Files", data.totals.files.toLocaleString("en-US"), "total-files"],
           ["Folders", data.totals.folders.toLocaleString("en-US"), "total-folders"], ["Scan runs", data.totals.runs, "total-runs"]].forEach(function (t) {
            var d = el("div", null, "total"), b = el("b", t[1]); b.id = t[2]; d.appendChild(b); d.appendChild(el("span", t[0])); totals.appendChild(d);
          });

          var box = document.getElementById("treemap");
          var palette = ["#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#ff9da6", "#9d755d", "#bab0ac", "#eeca3b"];
          var h = d3.hierarchy(data.tree, function (d) { return d.children; }).sum(function (d) { return d.value || 0; }).sort(function (a, b) { return b.value - a.value; });
          if (h.value > 0) {
            d3.treemap().size([box.clientWidth || 1200, box.clientHeight || 560]).paddingTop(function (d) { return d.depth > 0 && d.children ? 14 : 0; }).paddingInner(1).round(true)(h);
            // Colours tell the top folders apart; with one top folder, its subfolders.
            var colorLevel = h.children && h.children.length === 1 && h.children[0].children ? 2 : 1;
            h.descendants().forEach(function (n) {
              if (n.depth === 0 || n.x1 - n.x0 < 2 || n.y1 - n.y0 < 2) return;
              var top = n; while (top.depth > colorLevel) top = top.parent;
              var d = el("div", null, "tm-box");
              d.style.left = n.x0 + "px"; d.style.top = n.y0 + "px"; d.style.width = (n.x1 - n.x0) + "px"; d.style.height = (n.y1 - n.y0) + "px";
              d.style.background = top.depth < colorLevel ? "#5b6b7f" : palette[top.parent.children.indexOf(top) % palette.length];
              d.style.opacity = String(Math.max(0.45, 1 - 0.15 * (n.depth - 1)));
              d.title = (n.data.path || n.data.name) + "\n" + (n.data.size || "") + (n.data.files !== undefined ? ", " + n.data.files.toLocaleString("en-US") + " files" : "");
              if (n.x1 - n.x0 > 40 && n.y1 - n.y0 > 12) d.textContent = n.data.name + " " + (n.data.size || "");
              d.setAttribute("data-path", n.data.path || "");
              box.appendChild(d);
            });
          } else {
            box.appendChild(el("p", "The catalog holds no file bytes to show.", "empty"));
          }

          var groupColumns = [{ key: "key", label: "" }, { key: "size", label: "Size", num: true }, { key: "percent", label: "Share", bar: true }, { key: "files", label: "Files", num: true }];
          table("extensions", [{ key: "key", label: "Extension" }].concat(groupColumns.slice(1)), data.extensions, "No files.");
          table("owners", [{ key: "key", label: "Owner" }].concat(groupColumns.slice(1)), data.owners, "No files.");
          if (data.changes) {
            var c = data.changes;
            document.getElementById("changes-title").textContent = "Changes found by scan run " + c.run + ": " + (c.capped ? "counting stopped at 100,000 (Get-ScanChange -Summary counts them all): " : "") +
              c.added.toLocaleString("en-US") + " added, " + c.removed.toLocaleString("en-US") + " removed, " + c.modified.toLocaleString("en-US") + " modified, " + c.renamed.toLocaleString("en-US") + " renamed";
            table("changes", [{ key: "type", label: "Change" }, { key: "path", label: "Path", path: true }, { key: "detail", label: "Detail" }], c.list, "No changes.");
          } else {
            document.getElementById("changes").appendChild(el("p", "No scan run.", "empty"));
          }
          table("findings", [{ key: "severity", label: "Severity" }, { key: "rule", label: "Rule" }, { key: "location", label: "Where", path: true }, { key: "excerpt", label: "Excerpt (redacted)" }], data.findings, "No open findings.");
          table("duplicates", [{ key: "size", label: "Size", num: true }, { key: "copies", label: "Copies", num: true }, { key: "wasted", label: "To gain", num: true }, { key: "paths", label: "Paths", path: true, lines: true }],
            (data.duplicates || []).map(function (g) {
              return { size: g.size, copies: g.copies, wasted: g.wasted, paths: g.more > 0 ? g.paths.concat(["(" + g.more + " more: Find-DuplicateFile lists them all)"]) : g.paths };
            }), "No duplicate groups among hashed files (Start-Scan -Hash records hashes).");
          table("errors", [{ key: "kind", label: "Kind" }, { key: "path", label: "Path", path: true }, { key: "message", label: "Message" }], data.errors, "No errors.");
          root.setAttribute("data-status", "rendered");
        })();
        </script>
        </body>
        </html>
        """;
}
