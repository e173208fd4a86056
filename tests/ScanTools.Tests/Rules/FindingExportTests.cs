using System.Text;
using System.Text.Json;
using ScanTools.Rules;
using ScanTools.Tests.Support;

namespace ScanTools.Tests.Rules;

/// <summary>SARIF validated against the OASIS 2.1.0 schema (fetched by build.ps1 into out/sarif), CSV read back.</summary>
public sealed class FindingExportTests
{
    private static List<FindingMatch> Sample()
    {
        var r = new Random(17);
        var list = new List<FindingMatch>();
        foreach (var (id, _) in RuleSamples.Make(r))
        {
            string name = id + (r.Next(2) == 0 ? " with space, \"quote\".txt" : "#hash%.txt");
            list.Add(new FindingMatch
            {
                FullName = "/data/" + name, Directory = "/data", Name = name, RuleId = id, Severity = RuleSet.Builtin.Find(id)!.Severity,
                Line = r.Next(1, 100), Column = r.Next(1, 80), Excerpt = "key = \"ab…\", next", Fingerprint = RuleSamples.Random(r, "0123456789abcdef", 32),
                Status = (FindingStatus)r.Next(3), FirstScanId = 1, LastScanId = 2, Baselined = r.Next(2) == 0, BaselineReason = r.Next(2) == 0 ? "accepted, test" : null,
            });
        }
        if (!OperatingSystem.IsWindows())
        {
            // A backslash is part of a name here, not a separator: the URI must not turn it into another folder.
            list.Add(new FindingMatch { FullName = "/data/back\\slash.txt", Directory = "/data", Name = "back\\slash.txt", RuleId = "private-key", Severity = RuleSeverity.High, Line = 1, Column = 1, Fingerprint = new string('e', 32) });
        }
        list.Add(new FindingMatch { FullName = "/tmp/x", Directory = "/tmp", Name = "x", RuleId = "world-writable-file", Severity = RuleSeverity.Medium, Excerpt = "mode -rw-rw-rw-", Fingerprint = new string('c', 32) });
        list.Add(new FindingMatch { FullName = "/x/own", Directory = "/x", Name = "own", RuleId = "not-a-builtin", Severity = RuleSeverity.Low, Line = 1, Column = 1, Fingerprint = new string('d', 32) });
        return list;
    }

    [Theory]
    [InlineData("=HYPERLINK(\"http://x\",\"y\")", "'=HYPERLINK(\"http://x\",\"y\")")]
    [InlineData("+cmd", "'+cmd")]
    [InlineData("-----BEGIN RSA PRIVATE KEY…", "'-----BEGIN RSA PRIVATE KEY…")]
    [InlineData("@SUM(1)", "'@SUM(1)")]
    [InlineData("\tx", "'\tx")]
    [InlineData("key = \"ab…\"", "key = \"ab…\"")]
    public void Csv_cells_of_free_text_never_start_as_a_spreadsheet_formula(string excerpt, string cell)
    {
        var m = new FindingMatch { FullName = "/data/a.txt", Directory = "/data", Name = "a.txt", RuleId = "jwt", Severity = RuleSeverity.Medium, Line = 1, Column = 1, Excerpt = excerpt, Fingerprint = new string('a', 32), BaselineReason = excerpt };
        var w = new StringWriter();
        FindingExport.WriteCsv(w, new[] { m });
        string row = w.ToString().Split("\r\n")[1];
        string quoted = cell.IndexOfAny(new[] { ',', '"' }) >= 0 ? "\"" + cell.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : cell;
        Assert.Contains("," + quoted + "," + m.Fingerprint + ",", row, StringComparison.Ordinal);
        Assert.EndsWith("," + quoted, row, StringComparison.Ordinal);
        var ruled = new FindingMatch { FullName = m.FullName, Directory = m.Directory, Name = m.Name, RuleId = excerpt, Severity = RuleSeverity.Medium, Fingerprint = m.Fingerprint }; // a rules file's id is free text too
        var w2 = new StringWriter();
        FindingExport.WriteCsv(w2, new[] { ruled });
        Assert.StartsWith("Medium," + quoted + ",", w2.ToString().Split("\r\n")[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sarif_output_is_valid_against_the_schema_and_holds_every_match()
    {
        string schemaPath = Repo.Combine("out", "sarif", "sarif-2.1.0-rtm.5.json");
        Assert.True(File.Exists(schemaPath), $"The SARIF schema is missing at {schemaPath}: run ./build.ps1 -Task Test, which fetches it from the npm registry.");
        NJsonSchema.JsonSchema schema = await NJsonSchema.JsonSchema.FromFileAsync(schemaPath);
        List<FindingMatch> matches = Sample();
        using var ms = new MemoryStream();
        FindingExport.WriteSarif(ms, matches, RuleSet.Builtin, "1.2.3");
        string json = Encoding.UTF8.GetString(ms.ToArray());
        var errors = schema.Validate(json);
        Assert.True(errors.Count == 0, string.Join("\n", errors.Select(e => $"{e.Path}: {e.Kind}")));

        using JsonDocument doc = JsonDocument.Parse(json);
        JsonElement run = doc.RootElement.GetProperty("runs")[0];
        JsonElement results = run.GetProperty("results");
        Assert.Equal(matches.Count, results.GetArrayLength());
        JsonElement rules = run.GetProperty("tool").GetProperty("driver").GetProperty("rules");
        for (int i = 0; i < matches.Count; i++)
        {
            JsonElement res = results[i];
            Assert.Equal(matches[i].RuleId, res.GetProperty("ruleId").GetString());
            Assert.Equal(matches[i].RuleId, rules[res.GetProperty("ruleIndex").GetInt32()].GetProperty("id").GetString());
            Assert.Equal(matches[i].Fingerprint, res.GetProperty("partialFingerprints").EnumerateObject().Single().Value.GetString());
            Assert.Equal(FindingExport.SarifLevel(matches[i].Severity), res.GetProperty("level").GetString());
            string uri = res.GetProperty("locations")[0].GetProperty("physicalLocation").GetProperty("artifactLocation").GetProperty("uri").GetString()!;
            Assert.Equal(matches[i].FullName, Uri.UnescapeDataString(new Uri(uri).AbsolutePath));
            Assert.Equal(matches[i].Baselined, res.TryGetProperty("suppressions", out _));
        }
    }

    [Theory]
    [InlineData("A password in a URL (scheme://user:password@host)", "A password in a URL (scheme://user:password@host).")]
    [InlineData("A password in a connection string or settings line (Password=..., Pwd=..., DB_PASSWORD=..., quoted or not)", "A password in a connection string or settings line (Password=..., Pwd=..., DB_PASSWORD=..., quoted or not).")]
    [InlineData("Ends in an ellipsis...", "Ends in an ellipsis...")]
    [InlineData("Already a sentence. ", "Already a sentence.")]
    public void A_results_message_is_its_rules_description_as_one_sentence_with_its_dots_kept(string description, string message) =>
        Assert.Equal(message, FindingExport.Sentence(description));

    [Theory]
    [InlineData("/data/back\\slash.txt", "file:///data/back%5Cslash.txt")]
    [InlineData("/data/a b/#x%.txt", "file:///data/a%20b/%23x%25.txt")]
    [InlineData("C:\\Users\\me\\a b.txt", "file:///C:/Users/me/a%20b.txt")]
    public void File_uris_encode_each_name_and_split_only_at_separators(string path, string uri) =>
        Assert.Equal(uri, FindingExport.FileUri(path));

    [Fact]
    public void A_property_rules_result_says_what_it_saw_in_its_message()
    {
        var setuid = new FindingMatch { FullName = "/usr/bin/x", Directory = "/usr/bin", Name = "x", RuleId = "setuid-file", Severity = RuleSeverity.High, Excerpt = "mode -rwsr-xr-x", Fingerprint = new string('a', 32) };
        using var ms = new MemoryStream();
        FindingExport.WriteSarif(ms, new[] { setuid }, RuleSet.Builtin, "0.1.0");
        using JsonDocument doc = JsonDocument.Parse(ms.ToArray());
        JsonElement result = doc.RootElement.GetProperty("runs")[0].GetProperty("results")[0];
        Assert.Equal("A set-user-id file: it runs with its owner's rights. Seen: mode -rwsr-xr-x.", result.GetProperty("message").GetProperty("text").GetString());
        Assert.False(result.GetProperty("locations")[0].GetProperty("physicalLocation").TryGetProperty("region", out _));
    }

    [Fact]
    public void A_resolved_findings_result_names_the_run_that_resolved_it()
    {
        var open = new FindingMatch { FullName = "/a", Directory = "/", Name = "a", RuleId = "jwt", Severity = RuleSeverity.Medium, Fingerprint = new string('a', 32), Status = FindingStatus.Open, FirstScanId = 1, LastScanId = 2 };
        var resolved = new FindingMatch { FullName = "/b", Directory = "/", Name = "b", RuleId = "jwt", Severity = RuleSeverity.Medium, Fingerprint = new string('b', 32), Status = FindingStatus.Resolved, FirstScanId = 1, LastScanId = 2, ResolvedScanId = 3 };
        using var ms = new MemoryStream();
        FindingExport.WriteSarif(ms, new[] { open, resolved }, RuleSet.Builtin, "0.1.0");
        using JsonDocument doc = JsonDocument.Parse(ms.ToArray());
        JsonElement results = doc.RootElement.GetProperty("runs")[0].GetProperty("results");
        Assert.False(results[0].GetProperty("properties").TryGetProperty("resolvedScanId", out _));
        Assert.Equal(3, results[1].GetProperty("properties").GetProperty("resolvedScanId").GetInt64());
        Assert.Equal("absent", results[1].GetProperty("baselineState").GetString());
    }

    [Fact]
    public void A_rules_level_is_that_of_its_findings_when_a_rules_file_changed_its_severity()
    {
        // jwt is Medium built in; a rules file of the user's made it Low for the scan, and the export was not given it.
        var low = new FindingMatch { FullName = "/a", Directory = "/", Name = "a", RuleId = "jwt", Severity = RuleSeverity.Low, Fingerprint = new string('a', 32), Status = FindingStatus.Open, FirstScanId = 1, LastScanId = 1 };
        using var ms = new MemoryStream();
        FindingExport.WriteSarif(ms, new[] { low }, RuleSet.Builtin, "0.1.0");
        using JsonDocument doc = JsonDocument.Parse(ms.ToArray());
        JsonElement run = doc.RootElement.GetProperty("runs")[0];
        string ruleLevel = run.GetProperty("tool").GetProperty("driver").GetProperty("rules")[0].GetProperty("defaultConfiguration").GetProperty("level").GetString()!;
        Assert.Equal("note", ruleLevel);
        Assert.Equal(ruleLevel, run.GetProperty("results")[0].GetProperty("level").GetString());
    }

    [Fact]
    public void The_tool_version_SARIF_names_is_the_modules()
    {
        string manifest = File.ReadAllText(Repo.Combine("module", "ScanTools.psd1"));
        string declared = System.Text.RegularExpressions.Regex.Match(manifest, @"ModuleVersion\s*=\s*'([^']+)'").Groups[1].Value;
        Assert.Equal(declared, typeof(FindingExport).Assembly.GetName().Version!.ToString(3));
    }

    [Fact]
    public void Csv_output_reads_back_cell_for_cell()
    {
        List<FindingMatch> matches = Sample();
        var sw = new StringWriter();
        FindingExport.WriteCsv(sw, matches);
        List<List<string>> rows = ParseCsv(sw.ToString());
        Assert.Equal(FindingExport.CsvColumns, rows[0]);
        Assert.Equal(matches.Count, rows.Count - 1);
        for (int i = 0; i < matches.Count; i++)
        {
            List<string> row = rows[i + 1];
            Assert.Equal(matches[i].FullName, row[2]);
            Assert.Equal(matches[i].Excerpt ?? string.Empty, row[5]);
            Assert.Equal(matches[i].Fingerprint, row[6]);
            Assert.Equal(matches[i].BaselineReason ?? string.Empty, row[12]);
        }
    }

    /// <summary>An RFC 4180 reader written from the RFC, independent of the writer under test.</summary>
    private static List<List<string>> ParseCsv(string text)
    {
        var rows = new List<List<string>>();
        var row = new List<string>();
        var cell = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"') { cell.Append('"'); i++; }
                else if (c == '"') { quoted = false; }
                else { cell.Append(c); }
            }
            else if (c == '"') { quoted = true; }
            else if (c == ',') { row.Add(cell.ToString()); cell.Clear(); }
            else if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n') { row.Add(cell.ToString()); cell.Clear(); rows.Add(row); row = new List<string>(); i++; }
            else { cell.Append(c); }
        }
        return rows;
    }
}
