namespace ScanTools.Hosting;

/// <summary>Where a command's catalog comes from.</summary>
public enum CatalogSource
{
    /// <summary>The -Database parameter.</summary>
    Parameter,
    /// <summary>The SCANTOOLS_DATABASE environment variable.</summary>
    Environment,
    /// <summary>The per-user default file.</summary>
    Default,
}

/// <summary>
/// Decides which catalog a command uses: <c>-Database</c> when given, else <c>$env:SCANTOOLS_DATABASE</c>,
/// else a per-user default file in the platform's local application-data folder. Relative paths
/// resolve against the caller's current location (PowerShell's, not the process's).
/// </summary>
public sealed record CatalogLocation(string Path, CatalogSource Source)
{
    /// <summary>The environment variable that names the default catalog.</summary>
    public const string EnvironmentVariable = "SCANTOOLS_DATABASE";

    /// <summary>True when <see cref="Path"/> is a broker address (redis://host:port/catalog, without credentials), not a file.</summary>
    public bool IsRemote { get; init; }

    /// <summary>The per-user default catalog file: <c>ScanTools/catalog.db</c> under the local application-data folder.</summary>
    /// <exception cref="InvalidOperationException">The platform reports no such folder (no home directory).</exception>
    public static string DefaultPath
    {
        get
        {
            string folder = System.Environment.GetFolderPath(System.Environment.SpecialFolder.LocalApplicationData,
                System.Environment.SpecialFolderOption.DoNotVerify);
            if (string.IsNullOrEmpty(folder))
            {
                throw new InvalidOperationException(
                    $"This account has no local application-data folder for the default catalog. Pass -Database, or set $env:{EnvironmentVariable}.");
            }
            return System.IO.Path.Combine(folder, "ScanTools", "catalog.db");
        }
    }

    /// <summary>Chooses the catalog.</summary>
    /// <param name="parameter">The -Database value, or null.</param>
    /// <param name="currentDirectory">Where relative paths start (PowerShell's current file-system location).</param>
    /// <param name="environmentValue">The value of SCANTOOLS_DATABASE; read from the process when not given.</param>
    /// <exception cref="Storage.CatalogException">The path is spelled as a folder (it ends with a separator, or with "." or ".."): <see cref="Storage.CatalogErrorCode.NotACatalog"/>.</exception>
    public static CatalogLocation Resolve(string? parameter, string currentDirectory, string? environmentValue = null)
    {
        environmentValue ??= System.Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(parameter))
        {
            Storage.CatalogDatabase.RefuseFolderSpelling(parameter, currentDirectory);
            return new CatalogLocation(System.IO.Path.GetFullPath(parameter, currentDirectory), CatalogSource.Parameter);
        }
        if (!string.IsNullOrWhiteSpace(environmentValue))
        {
            Storage.CatalogDatabase.RefuseFolderSpelling(environmentValue, currentDirectory);
            return new CatalogLocation(System.IO.Path.GetFullPath(environmentValue, currentDirectory), CatalogSource.Environment);
        }
        return new CatalogLocation(DefaultPath, CatalogSource.Default);
    }

    /// <summary>
    /// True when <paramref name="spelling"/>, as the user wrote it, can only name a folder: it ends with a
    /// separator, or with "." or "..". (PowerShell drops a trailing "." when it resolves a path: ask first.)
    /// </summary>
    public static bool NamesAFolder(string spelling) => Storage.CatalogDatabase.NamesAFolder(spelling);

    /// <summary>Creates the folder of the per-user default catalog on first use; other folders must exist.</summary>
    /// <exception cref="Storage.CatalogException">
    /// The per-user folder cannot be created (a home that cannot be created, a read-only file system, a file
    /// in the way): <see cref="Storage.CatalogErrorCode.ReadOnly"/> or <see cref="Storage.CatalogErrorCode.FolderNotFound"/>,
    /// whose message says to pass -Database.
    /// </exception>
    public void PrepareForWriting()
    {
        if (Source != CatalogSource.Default || IsRemote)
        {
            return;
        }
        string folder = System.IO.Path.GetDirectoryName(Path)!;
        try
        {
            if (OperatingSystem.IsWindows() || Directory.Exists(folder))
            {
                Directory.CreateDirectory(folder);
            }
            else
            {
                // Only its owner may enter it (0700): the catalog lists where secrets are, with a prefix and a fingerprint of
                // each, and it was world-readable under the usual umask 022 (newcomer test 74). A folder that exists is left
                // as its owner set it.
                Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }
        catch (UnauthorizedAccessException ex)
        {
            throw DefaultFolderError(Storage.CatalogErrorCode.ReadOnly, folder, ex.Message, ex);
        }
        catch (IOException ex)
        {
            throw DefaultFolderError(ex.HResult == Platform.UnixAccess.ReadOnlyFileSystem ? Storage.CatalogErrorCode.ReadOnly : Storage.CatalogErrorCode.FolderNotFound,
                folder, ex.Message, ex);
        }
    }

    /// <summary>
    /// Checks, without creating or changing anything, what writing this catalog would refuse, and throws the
    /// error the real command would give: a per-user folder that cannot be created, a missing folder, a folder
    /// or a file that is not a catalog at the path, a catalog of a newer ScanTools. What -WhatIf reports.
    /// (Permissions of an existing catalog, and other processes' locks, are only known by trying.)
    /// </summary>
    /// <exception cref="Storage.CatalogException">The catalog cannot be written; the message says what to do.</exception>
    public void ThrowIfUnusableForWriting()
    {
        if (IsRemote)
        {
            return; // the broker is reached when the command runs
        }
        string folder = System.IO.Path.GetDirectoryName(Path)!;
        if (Source == CatalogSource.Default && !Directory.Exists(folder))
        {
            ThrowIfDefaultFolderCannotBeCreated(folder);
            return; // a new folder holds no catalog yet
        }
        Storage.CatalogDatabase.ThrowIfUnusableForWriting(Platform.CanonicalPath.Resolve(Path));
    }

    /// <summary>What creating the per-user folder would meet: the nearest existing ancestor must be a folder this process may write in.</summary>
    private void ThrowIfDefaultFolderCannotBeCreated(string folder)
    {
        string firstToCreate = folder;
        string? ancestor = folder;
        while (ancestor is not null && !Directory.Exists(ancestor))
        {
            if (File.Exists(ancestor))
            {
                throw DefaultFolderError(Storage.CatalogErrorCode.FolderNotFound, folder, $"'{ancestor}' is a file, not a folder.", null);
            }
            firstToCreate = ancestor;
            ancestor = System.IO.Path.GetDirectoryName(ancestor);
        }
        if (ancestor is not null)
        {
            int refused = Platform.UnixAccess.CannotCreateIn(ancestor);
            if (refused == Platform.UnixAccess.ReadOnlyFileSystem)
            {
                throw DefaultFolderError(Storage.CatalogErrorCode.ReadOnly, folder, $"'{firstToCreate}' would be on a read-only file system.", null);
            }
            if (refused == Platform.UnixAccess.AccessDenied)
            {
                throw DefaultFolderError(Storage.CatalogErrorCode.ReadOnly, folder, $"Access to the path '{firstToCreate}' is denied.", null);
            }
        }
    }

    private Storage.CatalogException DefaultFolderError(Storage.CatalogErrorCode code, string folder, string reason, Exception? inner) =>
        new(code, Path,
            $"The folder '{folder}' for the per-user catalog cannot be created: {reason.TrimEnd('.')}. " +
            $"Pass -Database with the path of a catalog file in a folder this account can write, or set $env:{EnvironmentVariable} to one.",
            inner);

    /// <inheritdoc />
    public override string ToString() => $"{Path} (from {Source switch { CatalogSource.Parameter => "-Database", CatalogSource.Environment => "$env:" + EnvironmentVariable, _ => "the per-user default" }})";
}
