namespace ScanTools.Scanning;

/// <summary>
/// A command cannot run with what it was given: scan options that cannot work, or no folder left to
/// scan. Carries <see cref="Hosting.ScanExitCode.BadArguments"/> for scheduled scripts.
/// </summary>
public sealed class ScanArgumentException : ArgumentException, Hosting.IScanExitCode
{
    /// <summary>Creates the exception.</summary>
    public ScanArgumentException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }

    /// <summary>Always <see cref="Hosting.ScanExitCode.BadArguments"/>.</summary>
    public Hosting.ScanExitCode ExitCode => Hosting.ScanExitCode.BadArguments;
}
