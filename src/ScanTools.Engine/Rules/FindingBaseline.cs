using System.Text.Json;
using System.Text.Json.Serialization;

namespace ScanTools.Rules;

/// <summary>
/// Accepted findings: a JSON file of fingerprints, each with the rule and path it was taken from (for the
/// reader) and an optional reason. Queries hide the findings it lists. Format:
/// <c>{ "version": 1, "findings": [ { "fingerprint": "...", "ruleId": "...", "path": "...", "reason": "..." } ] }</c>.
/// </summary>
public sealed class FindingBaseline
{
    /// <summary>One accepted finding.</summary>
    public sealed record Entry(
        [property: JsonPropertyName("fingerprint")] string Fingerprint,
        [property: JsonPropertyName("ruleId")] string? RuleId,
        [property: JsonPropertyName("path")] string? Path,
        [property: JsonPropertyName("reason")] string? Reason);

    private sealed record FileShape(
        [property: JsonPropertyName("version")] int Version,
        [property: JsonPropertyName("tool")] string? Tool,
        [property: JsonPropertyName("created")] DateTime? Created,
        [property: JsonPropertyName("findings")] List<Entry>? Findings);

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private readonly Dictionary<string, Entry> _entries = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>An empty baseline.</summary>
    public FindingBaseline()
    {
    }

    /// <summary>The entries, by fingerprint.</summary>
    public IReadOnlyCollection<Entry> Entries => _entries.Values;

    /// <summary>Where it was read from, if it was.</summary>
    public string? SourcePath { get; private init; }

    /// <summary>True when <paramref name="fingerprint"/> is accepted; <paramref name="reason"/> says why, if the file does.</summary>
    public bool Contains(string fingerprint, out string? reason)
    {
        bool found = _entries.TryGetValue(fingerprint, out Entry? e);
        reason = e?.Reason;
        return found;
    }

    /// <summary>Adds (or replaces) an entry.</summary>
    /// <exception cref="ArgumentException">The fingerprint is not 32 hex digits.</exception>
    public void Add(Entry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.Fingerprint is not { Length: 32 } f || !f.All(char.IsAsciiHexDigit))
        {
            throw new ArgumentException($"'{entry.Fingerprint}' is not a finding fingerprint (32 hex digits).", nameof(entry));
        }
        _entries[f.ToLowerInvariant()] = entry with { Fingerprint = f.ToLowerInvariant() };
    }

    /// <summary>Reads a baseline file.</summary>
    /// <exception cref="FormatException">The file is not a ScanTools baseline; the message says what is wrong.</exception>
    /// <exception cref="IOException">The file cannot be read, or is not a regular file of at most 512 MiB (<see cref="Platform.InputFile"/>).</exception>
    public static FindingBaseline Load(string path)
    {
        FileShape? shape;
        Platform.InputFile.Check(path, "baseline (Export-FindingBaseline writes one)", Platform.InputFile.MaxBaselineBytes);
        try
        {
            using FileStream s = File.OpenRead(path);
            shape = JsonSerializer.Deserialize<FileShape>(s, Json);
        }
        catch (JsonException ex)
        {
            // System.Text.Json's own message names .NET types; say where instead.
            string where = (ex.LineNumber is long line ? $" at line {line + 1}, byte {ex.BytePositionInLine + 1}" : string.Empty)
                + (ex.Path is { Length: > 1 } field ? $", in {field} (fingerprint, ruleId, path and reason are texts, version the number 1)" : string.Empty); // which field, as "$.findings[0].reason"
            throw new FormatException($"'{path}' is not a ScanTools baseline (JSON in UTF-8 with a \"findings\" list, as Export-FindingBaseline writes it): it cannot be read{where}.", ex);
        }
        if (shape is null || shape.Findings is null)
        {
            throw new FormatException($"'{path}' is not a ScanTools baseline: it has no \"findings\" list. Export-FindingBaseline writes one.");
        }
        if (shape.Version != 1)
        {
            throw new FormatException($"'{path}' is a baseline of version {shape.Version}; this ScanTools reads version 1.");
        }
        var baseline = new FindingBaseline { SourcePath = path };
        foreach (Entry e in shape.Findings)
        {
            try
            {
                baseline.Add(e);
            }
            catch (ArgumentException ex)
            {
                throw new FormatException($"'{path}': {ex.Message.Split(" (Parameter")[0]}", ex);
            }
        }
        return baseline;
    }

    /// <summary>
    /// The number of findings <paramref name="path"/> lists when it is a ScanTools baseline (at most <see cref="Platform.InputFile.MaxBaselineBytes"/>), else null
    /// (missing, unreadable, or anything else). Commands that would replace a file ask it first.
    /// </summary>
    public static int? EntriesIn(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists || info.Length > Platform.InputFile.MaxBaselineBytes)
            {
                return null;
            }
            return Load(path).Entries.Count;
        }
        catch (Exception ex) when (ex is FormatException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Holds a baseline's update lock while one caller reads, adds to and replaces it, so that appends from several
    /// processes or runspaces at once each keep their findings (without it, 6 concurrent appends kept 2). The lock is
    /// the file <c>.NAME.lock</c> beside the baseline (<see cref="Platform.FileGate"/>). Waits up to
    /// <paramref name="timeout"/> for another holder.
    /// </summary>
    /// <exception cref="IOException">Another caller held the lock for the whole <paramref name="timeout"/>, or the lock file cannot be opened.</exception>
    /// <exception cref="UnauthorizedAccessException">The account may not create or open the lock file.</exception>
    public static IDisposable LockForUpdate(string path, TimeSpan timeout)
    {
        string full = System.IO.Path.GetFullPath(path);
        string lockPath = System.IO.Path.Join(System.IO.Path.GetDirectoryName(full), $".{System.IO.Path.GetFileName(full)}.lock");
        return Platform.FileGate.Acquire(lockPath, timeout, $"the baseline '{full}'");
    }

    /// <summary>Writes the baseline as JSON (UTF-8), replacing the file through a temporary file in its folder; a replaced file keeps its mode.</summary>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public void Save(string path)
    {
        var shape = new FileShape(1, "ScanTools", DateTime.UtcNow, _entries.Values.OrderBy(e => e.Path, StringComparer.Ordinal).ThenBy(e => e.RuleId).ThenBy(e => e.Fingerprint).ToList());
        string full = System.IO.Path.GetFullPath(path);
        string temp = System.IO.Path.Join(System.IO.Path.GetDirectoryName(full), $".{System.IO.Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (FileStream s = new(temp, FileMode.CreateNew, FileAccess.Write))
            {
                JsonSerializer.Serialize(s, shape, Json);
            }
            Platform.ReplacedFile.Replace(temp, full); // keeps a replaced baseline's mode
        }
        finally
        {
            File.Delete(temp);
        }
    }
}
