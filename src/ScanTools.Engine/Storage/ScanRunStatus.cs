namespace ScanTools.Storage;

/// <summary>The state of a scan run.</summary>
public enum ScanRunStatus
{
    /// <summary>Still going (or its process died; the next writer marks such runs Failed).</summary>
    Running = 0,
    /// <summary>Walked every root to the end. Errors may still have been recorded.</summary>
    Completed = 1,
    /// <summary>Stopped by an error that ended the scan, or by the death of its process.</summary>
    Failed = 2,
    /// <summary>Stopped on request (Ctrl+C, a cancelled token); what was accepted is committed.</summary>
    Cancelled = 3,
}
