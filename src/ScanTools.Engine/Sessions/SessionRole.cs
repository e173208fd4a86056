namespace ScanTools.Sessions;

/// <summary>What a session does with the writes it accepts.</summary>
public enum SessionRole
{
    /// <summary>Owns the catalog's only write connection and commits.</summary>
    Writer = 0,
    /// <summary>Forwards batches to the writer in another process and waits for its acknowledgements.</summary>
    Forwarder = 1,
}
