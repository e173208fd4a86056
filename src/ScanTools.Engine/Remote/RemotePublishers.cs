namespace ScanTools.Remote;

/// <summary>Settings and credentials shared by the remote catalogs of this process.</summary>
public static class RemotePublishers
{
    /// <summary>Options used for publishers opened from now on (tests shorten the resend delay).</summary>
    public static RemotePublisherOptions Options { get; set; } = new();

    /// <summary>The password for a broker: the one given, else $env:SCANTOOLS_REDIS_PASSWORD, else the URL's.</summary>
    public static string? PasswordFor(string? given, string? fromUrl) =>
        given ?? (Environment.GetEnvironmentVariable(RemoteCatalogAddress.PasswordVariable) is { Length: > 0 } env ? env : fromUrl);
}
