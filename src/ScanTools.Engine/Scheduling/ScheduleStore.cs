using System.Text.Json;
using System.Text.Json.Serialization;

namespace ScanTools.Scheduling;

/// <summary>
/// Where a user's schedules live: the script and a description of each (<c>&lt;name&gt;.ps1</c> and
/// <c>&lt;name&gt;.json</c>) in <c>ScanTools/schedules</c>, and their logs in <c>ScanTools/logs</c>, under the
/// local application-data folder (the folder of the per-user catalog).
/// </summary>
public sealed class ScheduleStore
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>A store in <paramref name="root"/> (the ScanTools folder); tests use their own.</summary>
    public ScheduleStore(string root)
    {
        Root = root;
    }

    /// <summary>The store of the current user.</summary>
    /// <exception cref="InvalidOperationException">The account has no local application-data folder.</exception>
    public static ScheduleStore ForCurrentUser() =>
        new(Path.GetDirectoryName(Hosting.CatalogLocation.DefaultPath)!);

    /// <summary>The ScanTools folder of the user.</summary>
    public string Root { get; }

    /// <summary>Where scripts and descriptions are kept.</summary>
    public string SchedulesFolder => Path.Combine(Root, "schedules");

    /// <summary>The script of a schedule.</summary>
    public string ScriptPath(string name) => Path.Combine(SchedulesFolder, name + ".ps1");

    /// <summary>The default log of a schedule.</summary>
    public string DefaultLogPath(string name) => Path.Combine(Root, "logs", name + ".log");

    private string DescriptionPath(string name) => Path.Combine(SchedulesFolder, name + ".json");

    /// <summary>Writes the script and the description (creating the folders of both and of the log).</summary>
    public void Save(ScanSchedule schedule)
    {
        Directory.CreateDirectory(SchedulesFolder);
        Directory.CreateDirectory(Path.GetDirectoryName(schedule.LogPath)!);
        File.WriteAllText(schedule.ScriptPath, ScheduleText.Script(schedule));
        File.WriteAllText(DescriptionPath(schedule.Name), JsonSerializer.Serialize(schedule, Json));
    }

    /// <summary>The schedule of this name, or null.</summary>
    public ScanSchedule? Get(string name)
    {
        string path = DescriptionPath(name);
        if (!File.Exists(path))
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize<ScanSchedule>(File.ReadAllText(path), Json);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"The description of the schedule '{name}' ({path}) is damaged: {ex.Message}. Register it again with -Force.", ex);
        }
    }

    /// <summary>Every schedule of the user, by name.</summary>
    public IReadOnlyList<ScanSchedule> List() =>
        Directory.Exists(SchedulesFolder)
            ? Directory.GetFiles(SchedulesFolder, "*.json").Order(StringComparer.Ordinal)
                .Select(f => Get(Path.GetFileNameWithoutExtension(f))).OfType<ScanSchedule>().ToList()
            : Array.Empty<ScanSchedule>();

    /// <summary>Deletes the script and the description (the log stays).</summary>
    public void Delete(ScanSchedule schedule)
    {
        File.Delete(schedule.ScriptPath);
        File.Delete(DescriptionPath(schedule.Name));
    }
}
