using ScanTools.Sessions.Ipc;
using ScanTools.Storage;
using ScanTools.Storage.Writes;

namespace ScanTools.Sessions;

/// <summary>
/// The forwarder role: batch the queue into frames, send them to the writer process, keep each until it
/// is acknowledged as committed, and when the writer goes away elect again and resend.
/// </summary>
public sealed partial class WriterSession
{
    private readonly Guid _clientId = Guid.NewGuid();
    private readonly object _forwardGate = new();
    private readonly LinkedList<PendingBatch> _unacked = new();
    private readonly List<(long Sequence, TaskCompletionSource Done)> _flushWaiters = new();
    private ForwardingLink? _link;
    private BatchBuilder? _batch;
    private int _writerPid;
    private long _unackedRows, _ackedSequence, _lastSequence;
    private long _forwardedBatches, _acknowledgedBatches, _resentBatches;

    private string ClientId => _clientId.ToString("D");

    /// <summary>Connects to the writer and says Hello; false when no writer answers (yet) within <paramref name="helloTimeout"/>.</summary>
    private bool TryLink(TimeSpan helloTimeout)
    {
        ForwardingLink? link = ForwardingLink.TryOpen(Endpoint, _clientId, DatabasePath, _durability, helloTimeout, OnAck, OnLinkLost, OnRemoteRefusal);
        if (link is null)
        {
            return false;
        }
        _link = link;
        _writerPid = link.WriterProcessId;
        WarmUpOnce();
        return true;
    }

    private int _warmedUp;
    private readonly object _walKeeperGate = new();
    private Microsoft.Data.Sqlite.SqliteConnection? _walKeeper;
    private bool _walKeeperClosed;
    private readonly TaskCompletionSource _walKeeperSettled = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>For tests: completes once the idle connection of <see cref="WarmUpOnce"/> is open, or was not opened.</summary>
    internal Task WalKeeperSettled => _walKeeperSettled.Task;

    /// <summary>
    /// In the background: loads SQLite and compiles the catalog-opening code, so that taking over as the
    /// writer does not pay for first use (about 30 ms measured here) while the others wait; and keeps that
    /// read-only connection open, idle, for as long as the session lives. Every connection holds the
    /// catalog's WAL index open; without one, the writer's process would be the last user when it hands
    /// over, and its successor would rebuild the index by reading the whole WAL (50 ms and more measured
    /// here) while every other process waits. An idle connection holds no lock and blocks no checkpoint.
    /// </summary>
    private void WarmUpOnce()
    {
        if (_remote is not null)
        {
            return; // no catalog file on this computer
        }
        if (Interlocked.Exchange(ref _warmedUp, 1) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static session => session.KeepWalIndexOpen(), this, preferLocal: false);
        }
    }

    private void KeepWalIndexOpen()
    {
        try
        {
            Microsoft.Data.Sqlite.SqliteConnection connection = CatalogDatabase.OpenForReading(DatabasePath); // reads the schema: maps the WAL index
            lock (_walKeeperGate)
            {
                if (!_walKeeperClosed)
                {
                    _walKeeper = connection;
                    return;
                }
            }
            connection.Dispose(); // the session closed meanwhile
        }
        catch (Exception ex) when (ex is CatalogException or IOException or UnauthorizedAccessException)
        {
            // Only an optimisation.
        }
        finally
        {
            _walKeeperSettled.TrySetResult();
        }
    }

    /// <summary>Closes the idle connection of <see cref="WarmUpOnce"/>, when the session closes.</summary>
    private void CloseWalKeeper()
    {
        Microsoft.Data.Sqlite.SqliteConnection? connection;
        lock (_walKeeperGate)
        {
            _walKeeperClosed = true;
            connection = _walKeeper;
            _walKeeper = null;
        }
        connection?.Dispose();
    }

    /// <summary>
    /// Forwards until the queue is completed and every batch acknowledged (returns false), or until this
    /// process has become the writer (returns true; the caller continues as writer).
    /// </summary>
    private bool RunForwarder()
    {
        _batch = new BatchBuilder();
        while (true)
        {
            SessionItem item;
            try
            {
                CancellationToken lost = _link?.Lost ?? new CancellationToken(canceled: true);
                bool got = _batch.Rows > 0
                    ? _queue.TryTake(out item, (int)_options.CommitLinger.TotalMilliseconds, lost)
                    : _queue.TryTake(out item, Timeout.Infinite, lost);
                if (!got)
                {
                    if (_batch.Rows > 0)
                    {
                        Send(); // the queue ran dry: send what is there
                        continue;
                    }
                    // Completed and drained: wait until the writer has committed everything sent.
                    return WaitForAllAcknowledged();
                }
            }
            catch (OperationCanceledException)
            {
                if (Failover())
                {
                    return true;
                }
                continue;
            }

            switch (item.Kind)
            {
                case ItemKind.Write:
                    _batch.Add(item.Write!, item.Rows, item.Producer);
                    if (_batch.Rows >= _options.MaxForwardBatchRows || _batch.Length >= MaxBatchBytes)
                    {
                        Send();
                    }
                    break;
                case ItemKind.Flush:
                    Send();
                    lock (_forwardGate)
                    {
                        if (_lastSequence <= _ackedSequence)
                        {
                            item.Flushed!.TrySetResult();
                        }
                        else
                        {
                            _flushWaiters.Add((_lastSequence, item.Flushed!));
                        }
                    }
                    break;
                case ItemKind.Durability:
                    // The writer learns a forwarder's durability from its Hello; a raise applies from the next one.
                    break;
            }
        }
    }

    private const int MaxBatchBytes = 8 << 20;

    /// <summary>Seals the current batch, waits for room in the window of unacknowledged rows, and sends it.</summary>
    private void Send()
    {
        PendingBatch? batch = Seal();
        if (batch is null)
        {
            return;
        }
        ForwardingLink? link = _link;
        lock (_forwardGate)
        {
            // Bound what waits for acknowledgement; the acknowledgement reader wakes us.
            while (_unackedRows > batch.Rows && _unackedRows > _options.MaxUnacknowledgedRows && link is not null && !link.Lost.IsCancellationRequested)
            {
                if (!Monitor.Wait(_forwardGate, _options.AcknowledgementTimeout))
                {
                    // No acknowledgement for this long: treat the writer as gone and elect again. Resending is
                    // always safe (the writer skips batches it has committed), so a stuck writer cannot hang us.
                    link.Abandon();
                }
            }
        }
        if (link is null || link.Lost.IsCancellationRequested)
        {
            return; // kept in the unacknowledged list; sent after the election
        }
        try
        {
            link.Send(batch.Sequence, batch.Body, batch.Length);
            Interlocked.Increment(ref _forwardedBatches);
        }
        catch (IOException)
        {
            // Kept in the unacknowledged list; the lost link triggers an election on the next take.
        }
    }

    /// <summary>Moves the builder's content to the unacknowledged list under a new sequence number.</summary>
    private PendingBatch? Seal()
    {
        if (_batch is null || _batch.Rows == 0)
        {
            return null;
        }
        if (_batch.Length > WireProtocol.MaxFrameBytes - 64)
        {
            throw new CatalogException(CatalogErrorCode.WriteFailed, DatabasePath,
                $"A single write of {_batch.Length:N0} bytes is too large to forward; split listings into chunks of at most a few thousand files.");
        }
        (byte[] body, int length, int rows, List<(CatalogWrite, IWriteProducer?)> sources) = _batch.Take();
        PendingBatch batch;
        lock (_forwardGate)
        {
            batch = new PendingBatch(++_lastSequence, body, length, rows, sources);
            _unacked.AddLast(batch);
            _unackedRows += rows;
        }
        _budget.Return(rows); // the rows moved from the queue to the unacknowledged list, which has its own bound
        return batch;
    }

    /// <summary>Called by the link's reader when the writer went away: wake a send waiting for window room.</summary>
    private void OnLinkLost()
    {
        lock (_forwardGate)
        {
            Monitor.PulseAll(_forwardGate);
        }
    }

    /// <summary>
    /// Called by the link's reader (before the batch's acknowledgement): the writer refused the write at
    /// <paramref name="index"/> of batch <paramref name="sequence"/> on its own. Its producer is told.
    /// </summary>
    private void OnRemoteRefusal(long sequence, int index, string reason)
    {
        (CatalogWrite Write, IWriteProducer? Producer)? source = null;
        lock (_forwardGate)
        {
            foreach (PendingBatch b in _unacked)
            {
                if (b.Sequence == sequence && index >= 0 && index < b.Sources.Count && !b.IsRefused(index))
                {
                    source = b.Sources[index];
                    b.MarkRefused(index);
                    break;
                }
            }
        }
        if (source is { } s)
        {
            Refused(s.Producer, new RejectedWrite(s.Write, reason));
        }
    }

    /// <summary>Called by the link's reader: every batch up to <paramref name="sequence"/> is committed.</summary>
    private void OnAck(long sequence)
    {
        long rows = 0;
        var done = new List<TaskCompletionSource>();
        lock (_forwardGate)
        {
            if (sequence <= _ackedSequence)
            {
                return;
            }
            while (_unacked.First is { } node && node.Value.Sequence <= sequence)
            {
                rows += node.Value.Rows - node.Value.RefusedRows; // refused rows were counted when refused
                _unackedRows -= node.Value.Rows;
                _unacked.RemoveFirst();
                Interlocked.Increment(ref _acknowledgedBatches);
            }
            _ackedSequence = sequence;
            _flushWaiters.RemoveAll(w =>
            {
                if (w.Sequence <= sequence)
                {
                    done.Add(w.Done);
                    return true;
                }
                return false;
            });
            Monitor.PulseAll(_forwardGate);
        }
        if (rows > 0)
        {
            MarkCommitted(rows);
        }
        foreach (TaskCompletionSource d in done)
        {
            d.TrySetResult();
        }
    }

    /// <summary>At close: returns false once everything is acknowledged, true if this process had to become the writer.</summary>
    private bool WaitForAllAcknowledged()
    {
        // A remote catalog's consumer may not run for hours: a closing process waits a little for it, and leaves the
        // rest with this computer's publisher, which has them already (a scan that was not stopped flushed before).
        long deadline = _remote is null ? long.MaxValue : Environment.TickCount64 + (long)RemoteCloseWait.TotalMilliseconds;
        while (true)
        {
            ForwardingLink? link = _link;
            lock (_forwardGate)
            {
                if (_unacked.Count == 0 || Environment.TickCount64 > deadline)
                {
                    return false;
                }
                if (link is not null && !link.Lost.IsCancellationRequested)
                {
                    Monitor.Wait(_forwardGate, 50);
                    continue;
                }
            }
            if (Failover())
            {
                return true;
            }
        }
    }

    /// <summary>
    /// The writer went away: take the lock and become the writer (committing our unacknowledged batches
    /// first), or reconnect to whoever did and resend them. Returns true when this process is now the writer.
    /// </summary>
    private bool Failover()
    {
        CatalogException? refusal = _link?.Refusal;
        _link?.Dispose();
        _link = null;
        if (refusal is not null && refusal.Code != CatalogErrorCode.SessionClosed)
        {
            throw new CatalogException(refusal.Code, DatabasePath, refusal.Message, refusal); // the writer failed: so do we
        }
        Seal(); // a partly built batch goes with the rest
        if (ElectWriter(takingOver: true))
        {
            CommitUnacknowledgedAsWriter();
            return true;
        }
        Resend();
        return false;
    }

    private void Resend()
    {
        List<PendingBatch> batches;
        lock (_forwardGate)
        {
            batches = _unacked.ToList();
        }
        foreach (PendingBatch b in batches)
        {
            try
            {
                _link!.Send(b.Sequence, b.Body, b.Length);
                Interlocked.Increment(ref _resentBatches);
            }
            catch (IOException)
            {
                return; // lost again; the next take elects again
            }
        }
    }

    /// <summary>As the new writer: commit what the old one never acknowledged, skipping what it did commit.</summary>
    private void CommitUnacknowledgedAsWriter()
    {
        List<PendingBatch> batches;
        lock (_forwardGate)
        {
            batches = _unacked.ToList();
        }
        if (batches.Count == 0)
        {
            return;
        }
        if (_publisher is global::ScanTools.Remote.RemotePublisher publisher)
        {
            // Published under this session's client id and sequences, as forwarded before: the consumer drops any copy
            // the previous publisher already put on the stream. Acknowledged once the consumer committed each.
            foreach (PendingBatch b in batches)
            {
                long sequence = b.Sequence;
                publisher.Relay(ClientId, sequence, b.Sources.Select(x => x.Write).ToList(), () => OnAck(sequence), CancellationToken.None);
            }
            Interlocked.Add(ref _resentBatches, batches.Count);
            return;
        }
        var refusals = new List<(PendingBatch Batch, int Index, string Reason)>();
        _writer!.Begin();
        try
        {
            foreach (PendingBatch b in batches)
            {
                // The batch's own writes, as its producers handed them over: a refusal goes to its producer.
                List<CatalogWrite> writes = b.Sources.Select(x => x.Write).ToList();
                ApplyBatch(ClientId, b.Sequence, writes, isolate: true, (index, _, why) => refusals.Add((b, index, why)));
            }
            _writer.Commit();
        }
        catch
        {
            _writer.Rollback();
            _applied.Clear();
            throw;
        }
        foreach ((PendingBatch b, int index, string why) in refusals)
        {
            OnRemoteRefusal(b.Sequence, index, why);
        }
        Interlocked.Increment(ref _transactions);
        FirstCommitAsWriterUtc ??= DateTime.UtcNow;
        Interlocked.Add(ref _resentBatches, batches.Count);
        OnAck(batches[^1].Sequence);
    }

    /// <summary>On a fault: rows never acknowledged count as failed, and flushes waiting for them fail.</summary>
    private void FailForwarded(CatalogException fault, List<TaskCompletionSource> waiting)
    {
        lock (_forwardGate)
        {
            Interlocked.Add(ref _failed, _unackedRows + (_batch?.Rows ?? 0));
            if (_batch is { Rows: > 0 } b)
            {
                _budget.Return(b.Rows);
            }
            _unacked.Clear();
            _unackedRows = 0;
            waiting.AddRange(_flushWaiters.Select(w => w.Done));
            _flushWaiters.Clear();
            Monitor.PulseAll(_forwardGate);
        }
    }

    /// <summary>A sent batch kept until acknowledged: its bytes for a resend, and each write's producer for a refusal.</summary>
    private sealed record PendingBatch(long Sequence, byte[] Body, int Length, int Rows, List<(CatalogWrite Write, IWriteProducer? Producer)> Sources)
    {
        private HashSet<int>? _refused;

        /// <summary>Rows of the writes the writer refused (they are not committed when the batch is acknowledged).</summary>
        public int RefusedRows { get; private set; }

        public bool IsRefused(int index) => _refused?.Contains(index) == true;

        public void MarkRefused(int index)
        {
            if ((_refused ??= new HashSet<int>()).Add(index))
            {
                RefusedRows += Sources[index].Write.RowCount;
            }
        }
    }

    /// <summary>Encodes writes into one batch body: a count, then the writes.</summary>
    private sealed class BatchBuilder
    {
        private MemoryStream _stream = NewStream();
        private BinaryWriter _writer;
        private List<(CatalogWrite, IWriteProducer?)> _sources = new();

        public BatchBuilder() => _writer = CatalogWriteCodec.Writer(_stream);

        public int Rows { get; private set; }

        public long Length => _stream.Length;

        public void Add(CatalogWrite write, int rows, IWriteProducer? producer)
        {
            CatalogWriteCodec.Write(_writer, write);
            _sources.Add((write, producer));
            Rows += rows;
        }

        public (byte[] Body, int Length, int Rows, List<(CatalogWrite, IWriteProducer?)> Sources) Take()
        {
            _writer.Flush();
            byte[] body = _stream.GetBuffer();
            int length = (int)_stream.Length;
            BitConverter.TryWriteBytes(body.AsSpan(0, 4), _sources.Count);
            int rows = Rows;
            List<(CatalogWrite, IWriteProducer?)> sources = _sources;
            _stream = NewStream();
            _writer = CatalogWriteCodec.Writer(_stream);
            _sources = new();
            Rows = 0;
            return (body, length, rows, sources);
        }

        private static MemoryStream NewStream()
        {
            var s = new MemoryStream(64 * 1024);
            s.Write(stackalloc byte[4]); // the count, patched in Take
            return s;
        }
    }
}
