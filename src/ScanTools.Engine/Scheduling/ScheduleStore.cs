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

    /// <summary>Where the symbolic link <paramref name="path"/> points (full path), or null: not a link, missing, or unreadable.</summary>
    private static string? NextLink(string path)
    {
        try
        {
            return File.ResolveLinkTarget(path, returnFinalTarget: false)?.FullName;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Why <paramref name="schedule"/>'s log, given by the user, may not be where it is, or null: the scheduler appends
    /// every run's output to it (cron with >>), so it must not be a catalog or one of a catalog's files (its own
    /// catalog's before that exists too), nor one of the schedules' own files (a run would append to its own script
    /// and break every later run), nor a FIFO, socket or device other than /dev/null (a FIFO would hang every run).
    /// Its folder need not exist: <see cref="Save"/> creates it.
    /// </summary>
    public string? LogPathProblem(ScanSchedule schedule)
    {
        string log = schedule.LogPath;
        if (Storage.CatalogFileGuard.OwnFileProblem(log) is string own)
        {
            return own;
        }
        // A FIFO without a reader would hang every run on opening its log; a device is never a log. /dev/null discards it.
        static bool IsStream(string p) => p != "/dev/null" && ((p.StartsWith("/dev/", StringComparison.Ordinal) && !p.StartsWith("/dev/shm/", StringComparison.Ordinal))
            || p.StartsWith("/proc/", StringComparison.Ordinal));
        // The path as given, each link it goes through, and where they end: /dev/stdout goes on to /proc/self/fd/1 and then
        // to whatever this shell's output is now (a regular file when it is redirected), which is not what cron gives it.
        bool stream = IsStream(log) || IsStream(Platform.CanonicalPath.Resolve(log));
        string hop = log;
        for (int i = 0; i < 40 && !stream && NextLink(hop) is string next; i++)
        {
            hop = next;
            stream = IsStream(hop);
        }
        if (stream)
        {
            // /dev/stdout, /dev/fd/1, /proc/self/fd/1: whatever the registering shell's output was, and cron's mail pipe at run time.
            return $"-LogPath '{log}' is a device or a process's stream, which means something else when the scheduler runs the scan. Give the path of a log file, or /dev/null to discard the log.";
        }
        if (log != "/dev/null" && Storage.CatalogFileGuard.SpecialFileProblem(log) is not null)
        {
            // Appending replaces nothing: the reason is the hang (newcomer test 68 read "the file written would replace it").
            return $"-LogPath '{log}' is not a regular file (a FIFO, socket or device): every run appends its output to its log, and would wait forever opening a FIFO that nothing reads. Give the path of a log file, or /dev/null.";
        }
        string resolved = Platform.CanonicalPath.Resolve(log);
        if (!Remote.RemoteCatalogAddress.IsRemote(schedule.Database)
            && string.Equals(Path.GetDirectoryName(resolved), Path.GetDirectoryName(Platform.CanonicalPath.Resolve(schedule.Database)), StringComparison.Ordinal)
            && Storage.CatalogFiles.IsCatalogOrCompanionName(Path.GetFileName(schedule.Database), Path.GetFileName(resolved)))
        {
            return $"-LogPath '{log}' is the schedule's catalog or one of its files; the log would be appended to it. Choose another file.";
        }
        if (string.Equals(Path.GetDirectoryName(resolved), Platform.CanonicalPath.Resolve(SchedulesFolder), StringComparison.Ordinal))
        {
            return $"-LogPath '{log}' is in the folder of the schedules' own files ({SchedulesFolder}); a run would append to its own script. Choose another file.";
        }
        return null;
    }

    /// <summary>
    /// Why the scheduler could not append a run's output to <paramref name="log"/>, or null: its folder is created and the
    /// file opened to append, as the scheduler's shell will (a file this creates to try is removed again). cron's /bin/sh does not start the run
    /// at all when it cannot open the log, so the schedule would never run and no log would say why.
    /// </summary>
    public static string? LogWriteProblem(string log)
    {
        if (log == "/dev/null")
        {
            return null;
        }
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(log)!);
            bool existed = File.Exists(log);
            using (new FileStream(log, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete))
            {
            }
            if (!existed)
            {
                File.Delete(log); // only a test: a registration that fails later left an empty log behind (newcomer test 75)
            }
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return $"The log '{log}' cannot be written: {ex.Message.TrimEnd('.')}. The scheduler appends every run's output there and does not start a run whose log it cannot open. Give -LogPath a file in a folder this account can write.";
        }
    }

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
            throw new InvalidDataException($"The description of the schedule '{name}' ({path}) is damaged: {ex.Message.TrimEnd('.')}. Register it again with -Force, or remove it with Unregister-ScanSchedule.", ex);
        }
    }

    /// <summary>
    /// Every schedule of the user, by name. A damaged description is left out and given to
    /// <paramref name="damaged"/> (its message names the file and says to register it again): one bad file hid every
    /// other schedule.
    /// </summary>
    public IReadOnlyList<ScanSchedule> List(Action<string, InvalidDataException>? damaged = null)
    {
        if (!Directory.Exists(SchedulesFolder))
        {
            return Array.Empty<ScanSchedule>();
        }
        var schedules = new List<ScanSchedule>();
        foreach (string file in Directory.GetFiles(SchedulesFolder, "*.json").Order(StringComparer.Ordinal))
        {
            try
            {
                if (Get(Path.GetFileNameWithoutExtension(file)) is ScanSchedule s)
                {
                    schedules.Add(s);
                }
            }
            catch (InvalidDataException ex)
            {
                damaged?.Invoke(Path.GetFileNameWithoutExtension(file), ex);
            }
        }
        return schedules;
    }

    /// <summary>Whether a description of this name exists, readable or not.</summary>
    public bool Exists(string name) => File.Exists(DescriptionPath(name));

    /// <summary>Deletes the script and the description (the log stays).</summary>
    public void Delete(ScanSchedule schedule) => Delete(schedule.Name);

    /// <summary>Deletes the script and the description of the schedule of this name (the log stays); for a damaged description too.</summary>
    public void Delete(string name)
    {
        if (!Directory.Exists(SchedulesFolder))
        {
            return; // nothing of it here (File.Delete throws for a missing folder)
        }
        File.Delete(ScriptPath(name));
        File.Delete(DescriptionPath(name));
    }
}
