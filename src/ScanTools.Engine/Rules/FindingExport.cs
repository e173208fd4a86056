using System.Globalization;
using System.Text;
using System.Text.Json;

namespace ScanTools.Rules;

/// <summary>The file formats findings are exported in.</summary>
public enum FindingExportFormat
{
    /// <summary>SARIF 2.1.0 (OASIS), the format code-scanning systems collect findings in.</summary>
    Sarif,
    /// <summary>Comma-separated values (RFC 4180), one match per row, with a header row.</summary>
    Csv,
}

/// <summary>
/// Writes findings as SARIF 2.1.0 or CSV. Neither contains a secret: only the redacted excerpts and
/// fingerprints the catalog holds.
/// </summary>
public static class FindingExport
{
    /// <summary>The SARIF schema the output declares.</summary>
    public const string SarifSchema = "https://json.schemastore.org/sarif-2.1.0.json";

    /// <summary>The columns of the CSV output, in order.</summary>
    public static readonly IReadOnlyList<string> CsvColumns = new[]
    {
        // FullName, not Path: Import-Csv | Remove-Item (and Get-Finding) bound a Path column to -Path, a wildcard, so a row of
        // 'key[1].env' named key1.env, another file (newcomer test 76). FullName binds nothing of Remove-Item, and ScanTools'
        // commands take it literally.
        "Severity", "RuleId", "FullName", "Line", "Column", "Excerpt", "Fingerprint", "Status", "FirstScanId", "LastScanId", "ResolvedScanId", "Baselined", "BaselineReason",
    };

    /// <summary>The format a file name asks for: .sarif and .json give SARIF, .csv CSV; null for anything else.</summary>
    public static FindingExportFormat? FormatOf(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".sarif" or ".json" => FindingExportFormat.Sarif,
        ".csv" => FindingExportFormat.Csv,
        _ => null,
    };

    /// <summary>The SARIF level of a severity: Critical and High "error", Medium "warning", Low and Info "note".</summary>
    public static string SarifLevel(RuleSeverity severity) => severity switch
    {
        RuleSeverity.Critical or RuleSeverity.High => "error",
        RuleSeverity.Medium => "warning",
        _ => "note",
    };

    /// <summary>Writes one SARIF run holding <paramref name="matches"/>; <paramref name="rules"/> describes the rules they name (unknown ids get an entry with the id alone).</summary>
    public static void WriteSarif(Stream output, IEnumerable<FindingMatch> matches, RuleSet? rules, string toolVersion)
    {
        List<FindingMatch> list = matches.ToList();
        List<string> ids = list.Select(m => m.RuleId).Distinct(StringComparer.OrdinalIgnoreCase).OrderBy(id => id, StringComparer.Ordinal).ToList();
        var index = ids.Select((id, i) => (id, i)).ToDictionary(p => p.id, p => p.i, StringComparer.OrdinalIgnoreCase);
        using var w = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("$schema", SarifSchema);
        w.WriteString("version", "2.1.0");
        w.WriteStartArray("runs");
        w.WriteStartObject();
        w.WriteStartObject("tool");
        w.WriteStartObject("driver");
        w.WriteString("name", "ScanTools");
        w.WriteString("semanticVersion", toolVersion);
        w.WriteStartArray("rules");
        foreach (string id in ids)
        {
            ScanRule? rule = rules?.Find(id);
            // The severity the findings were recorded with, when they agree: a rules file that gave jwt Low, not given to
            // the export, left the rule "warning" (Medium, the built-in's) beside results of level "note".
            List<RuleSeverity> recorded = list.Where(m => m.RuleId.Equals(id, StringComparison.OrdinalIgnoreCase)).Select(m => m.Severity).Distinct().ToList();
            RuleSeverity severity = recorded.Count == 1 ? recorded[0] : rule?.Severity ?? recorded.Max();
            w.WriteStartObject();
            w.WriteString("id", id);
            if (rule is not null && rule.Description.Length > 0)
            {
                w.WriteStartObject("shortDescription");
                w.WriteString("text", rule.Description);
                w.WriteEndObject();
            }
            w.WriteStartObject("defaultConfiguration");
            w.WriteString("level", SarifLevel(severity));
            w.WriteEndObject();
            w.WriteStartObject("properties");
            w.WriteString("severity", severity.ToString());
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject(); // driver
        w.WriteEndObject(); // tool
        w.WriteStartArray("results");
        foreach (FindingMatch m in list)
        {
            w.WriteStartObject();
            w.WriteString("ruleId", m.RuleId);
            w.WriteNumber("ruleIndex", index[m.RuleId]);
            w.WriteString("level", SarifLevel(m.Severity));
            w.WriteStartObject("message");
            string? description = rules?.Find(m.RuleId)?.Description;
            string text = string.IsNullOrEmpty(description) ? $"Rule {m.RuleId} matched." : Sentence(description);
            if (m.Line is null && !string.IsNullOrEmpty(m.Excerpt))
            {
                // A property rule's finding has no region, so its snippet had nowhere to go: what it saw goes in the message.
                text += $" Seen: {m.Excerpt}.";
            }
            w.WriteString("text", text);
            w.WriteEndObject();
            w.WriteStartArray("locations");
            w.WriteStartObject();
            w.WriteStartObject("physicalLocation");
            w.WriteStartObject("artifactLocation");
            w.WriteString("uri", FileUri(m.FullName));
            w.WriteEndObject();
            if (m.Line is int line && line >= 1)
            {
                w.WriteStartObject("region");
                w.WriteNumber("startLine", line);
                if (m.Column is int col && col >= 1)
                {
                    w.WriteNumber("startColumn", col);
                }
                if (m.Excerpt is string ex)
                {
                    w.WriteStartObject("snippet");
                    w.WriteString("text", ex);
                    w.WriteEndObject();
                }
                w.WriteEndObject();
            }
            w.WriteEndObject(); // physicalLocation
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteStartObject("partialFingerprints");
            w.WriteString("scanToolsFingerprint/v1", m.Fingerprint);
            w.WriteEndObject();
            if (m.Baselined)
            {
                w.WriteStartArray("suppressions");
                w.WriteStartObject();
                w.WriteString("kind", "external");
                if (m.BaselineReason is string reason)
                {
                    w.WriteString("justification", reason);
                }
                w.WriteEndObject();
                w.WriteEndArray();
            }
            w.WriteString("baselineState", m.Status switch { FindingStatus.New => "new", FindingStatus.Resolved => "absent", _ => "unchanged" });
            w.WriteStartObject("properties");
            w.WriteString("severity", m.Severity.ToString());
            w.WriteString("status", m.Status.ToString());
            w.WriteNumber("firstScanId", m.FirstScanId);
            w.WriteNumber("lastScanId", m.LastScanId);
            if (m.ResolvedScanId is long resolved)
            {
                w.WriteNumber("resolvedScanId", resolved);
            }
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject(); // run
        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>A description as a message: with a full stop at its end unless it ends in one, or in other punctuation, already.</summary>
    internal static string Sentence(string description)
    {
        string d = description.TrimEnd();
        return d.Length > 0 && d[^1] is '.' or '!' or '?' or '…' ? d : d + ".";
    }

    /// <summary>
    /// A file URI for a full path, each segment percent-encoded (RFC 8089), so that any name survives. A backslash separates
    /// folders in a Windows path (C:\x, \\server\share, or any path on Windows); elsewhere it is part of a name (%5C).
    /// </summary>
    public static string FileUri(string fullPath)
    {
        bool windows = OperatingSystem.IsWindows() || fullPath.StartsWith(@"\\", StringComparison.Ordinal)
            || (fullPath.Length >= 3 && char.IsAsciiLetter(fullPath[0]) && fullPath[1] == ':' && fullPath[2] is '\\' or '/');
        string path = windows ? fullPath.Replace('\\', '/') : fullPath;
        var sb = new StringBuilder("file://");
        if (!path.StartsWith('/'))
        {
            sb.Append('/'); // C:/x -> file:///C:/x
        }
        string[] parts = path.Split('/');
        for (int i = 0; i < parts.Length; i++)
        {
            if (i > 0)
            {
                sb.Append('/');
            }
            bool drive = i == 0 && parts[i].Length == 2 && parts[i][1] == ':' && char.IsAsciiLetter(parts[i][0]);
            sb.Append(drive ? parts[i] : Uri.EscapeDataString(parts[i]));
        }
        return sb.ToString();
    }

    /// <summary>Writes a header row and one row per match (UTF-8, CRLF line ends, RFC 4180 quoting).</summary>
    public static void WriteCsv(TextWriter output, IEnumerable<FindingMatch> matches)
    {
        output.Write(string.Join(",", CsvColumns));
        output.Write("\r\n");
        foreach (FindingMatch m in matches)
        {
            string?[] cells =
            {
                m.Severity.ToString(), Inert(m.RuleId), m.FullName, Num(m.Line), Num(m.Column), Inert(m.Excerpt), m.Fingerprint, m.Status.ToString(),
                Num(m.FirstScanId), Num(m.LastScanId), Num(m.ResolvedScanId), m.Baselined ? "True" : "False", Inert(m.BaselineReason),
            };
            output.Write(string.Join(",", cells.Select(Quote)));
            output.Write("\r\n");
        }
    }

    private static string? Num(long? n) => n?.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Free text from scanned files (Excerpt), from whoever wrote the baseline (BaselineReason) or a rules file (RuleId), made inert for
    /// spreadsheets: a cell that starts with '=', '+', '-', '@', a tab or a CR is a formula to Excel and LibreOffice
    /// (CSV injection; a file holding "=HYPERLINK(...)" put one in the report), so it gets a leading apostrophe, as
    /// OWASP recommends. Paths start with '/' or a drive letter and are left as they are.
    /// </summary>
    internal static string? Inert(string? cell) =>
        cell is { Length: > 0 } && cell[0] is '=' or '+' or '-' or '@' or '\t' or '\r' ? "'" + cell : cell;

    private static string Quote(string? cell)
    {
        if (cell is null)
        {
            return string.Empty;
        }
        return cell.IndexOfAny(new[] { ',', '"', '\r', '\n' }) >= 0 || cell.StartsWith(' ') || cell.EndsWith(' ')
            ? "\"" + cell.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""
            : cell;
    }
}
