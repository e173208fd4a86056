using Microsoft.Data.Sqlite;

namespace ScanTools.Storage;

/// <summary>
/// Folds the WAL back into the database on its own thread and connection, so the writer never stalls.
/// SQLite's automatic checkpoint runs inside the committing transaction and syncs the disk: with the
/// writer at ~25 MB/s of WAL that stalled every commit for 100-300 ms every 4 MB (bench/README.md).
/// The write connection turns automatic checkpoints off; this one runs PASSIVE checkpoints, which never
/// block the writer. It changes no rows.
/// </summary>
internal sealed class WalCheckpointer : IDisposable
{
    private const long ThresholdBytes = 8L << 20;
    private readonly string _walPath;
    private readonly SqliteConnection _connection;
    private readonly Thread _thread;
    private readonly ManualResetEventSlim _stop = new();

    public WalCheckpointer(string databasePath)
    {
        _walPath = databasePath + "-wal";
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            Mode = SqliteOpenMode.ReadWrite,
            Pooling = false,
        }.ToString());
        _connection.Open();
        CatalogFiles.KeepWalFiles(_connection); // if this connection closes last, the log's files stay for readers
        CatalogDatabase.WaitWhenBusy(_connection);
        _thread = new Thread(Loop) { IsBackground = true, Name = "ScanTools checkpointer", Priority = ThreadPriority.BelowNormal };
        _thread.Start();
    }

    /// <summary>Checkpoints run so far (for tests and diagnostics).</summary>
    public long Checkpoints { get; private set; }

    private void Loop()
    {
        while (!_stop.Wait(TimeSpan.FromMilliseconds(100)))
        {
            try
            {
                if (File.Exists(_walPath) && new FileInfo(_walPath).Length >= ThresholdBytes)
                {
                    CatalogDatabase.Execute(_connection, "PRAGMA wal_checkpoint(PASSIVE);");
                    Checkpoints++;
                }
            }
            catch (Exception ex) when (ex is SqliteException or IOException)
            {
                // A busy or failing checkpoint is retried next time; the writer's own errors are what matter.
            }
        }
    }

    public void Dispose()
    {
        _stop.Set();
        _thread.Join();
        _connection.Dispose();
    }
}
