using System.Buffers.Binary;
using ScanTools.Storage;

namespace ScanTools.Sessions.Ipc;

/// <summary>The kinds of frame on a writer connection.</summary>
internal enum FrameType : byte
{
    /// <summary>Client to writer, first: magic, protocol version, client id, process id, catalog key.</summary>
    Hello = 1,
    /// <summary>
    /// Writer to client: version and writer process id. It carries no committed sequence: looking one up would
    /// queue the Hello behind everyone's writes; the client resends what it holds unacknowledged and the writer
    /// skips the batches it had already committed (by the applied sequence it stores per client).
    /// </summary>
    HelloAck = 2,
    /// <summary>Client to writer: sequence number and the encoded catalog writes.</summary>
    Batch = 3,
    /// <summary>Writer to client: every batch up to this sequence is committed.</summary>
    Ack = 4,
    /// <summary>Writer to client: the writer is closing after committing everything it acknowledged; elect another.</summary>
    Goodbye = 5,
    /// <summary>Either way: a CatalogErrorCode and a message; the sender closes the connection after it.</summary>
    Error = 6,
    /// <summary>
    /// Writer to client, before the batch's Ack: sequence, index of the write in the batch, and why the
    /// catalog refused that write on its own (the rest of the batch is committed with the Ack).
    /// </summary>
    Rejected = 7,
}

/// <summary>
/// Length-prefixed frames: a 4-byte little-endian length, then a type byte and the body. Version 7
/// (its frames are version 6's, but version 6 writers leave a catalog at schema 5, which a version 7 process cannot
/// read: joined to one, it wrote its run and then failed to read it back. The version tells them apart at Hello,
/// before anything is written. Version 5 had no catalog prune writes; version 4 had no rule matches in file records and no rule counts in run ends; version 3 had no skipped counts in run ends and progress; version 2's HelloAck carried a committed sequence that was always -1; version 1 had no Rejected frame,
/// in which a refused write failed the whole session, and no run progress writes).
/// A peer with another magic or version receives an Error frame saying so, never a misread.
/// </summary>
internal static class WireProtocol
{
    /// <summary>"STWP".</summary>
    public const uint Magic = 0x50575453;

    /// <summary>The protocol version this build speaks.</summary>
    public const ushort Version = 7;

    /// <summary>Frames larger than this are refused as malformed.</summary>
    public const int MaxFrameBytes = 64 << 20;

    public readonly record struct Frame(FrameType Type, byte[] Body, int Length);

    /// <summary>Writes one frame in a single call, so frames from one writer never interleave.</summary>
    public static void Write(Stream stream, FrameType type, ReadOnlySpan<byte> body)
    {
        byte[] buffer = new byte[5 + body.Length];
        BinaryPrimitives.WriteInt32LittleEndian(buffer, body.Length + 1);
        buffer[4] = (byte)type;
        body.CopyTo(buffer.AsSpan(5));
        stream.Write(buffer);
        stream.Flush();
    }

    /// <summary>Writes a frame whose body is built by <paramref name="body"/>.</summary>
    public static void Write(Stream stream, FrameType type, Action<BinaryWriter> body)
    {
        using var ms = new MemoryStream();
        using (BinaryWriter w = CatalogWriteCodec.Writer(ms))
        {
            body(w);
        }
        Write(stream, type, ms.GetBuffer().AsSpan(0, (int)ms.Length));
    }

    /// <summary>Reads one frame; null at a clean end of stream before a frame starts.</summary>
    /// <exception cref="InvalidDataException">The frame is malformed (bad length, unknown type).</exception>
    /// <exception cref="EndOfStreamException">The stream ended inside a frame.</exception>
    public static Frame? Read(Stream stream)
    {
        Span<byte> header = stackalloc byte[4];
        int got = 0;
        while (got < 4)
        {
            int n = stream.Read(header[got..]);
            if (n == 0)
            {
                return got == 0 ? null : throw new EndOfStreamException("The connection closed inside a frame header.");
            }
            got += n;
        }
        int length = BinaryPrimitives.ReadInt32LittleEndian(header);
        if (length < 1 || length > MaxFrameBytes)
        {
            throw new InvalidDataException($"Frame length {length} is out of range.");
        }
        byte[] frame = new byte[length];
        stream.ReadExactly(frame);
        var type = (FrameType)frame[0];
        if (type is < FrameType.Hello or > FrameType.Rejected)
        {
            throw new InvalidDataException($"Unknown frame type {frame[0]}.");
        }
        return new Frame(type, frame, length);
    }

    /// <summary>A reader over a frame's body (after the type byte).</summary>
    public static BinaryReader Body(Frame frame) =>
        CatalogWriteCodec.Reader(new MemoryStream(frame.Body, 1, frame.Length - 1, writable: false));

    public static void WriteHello(Stream s, Guid clientId, string catalogKey, Durability durability, ushort version = Version, uint magic = Magic) =>
        Write(s, FrameType.Hello, w =>
        {
            w.Write(magic);
            w.Write(version);
            w.Write(clientId.ToByteArray());
            w.Write(Environment.ProcessId);
            w.Write(catalogKey);
            w.Write((byte)durability);
        });

    public static void WriteError(Stream s, CatalogErrorCode code, string message)
    {
        try
        {
            Write(s, FrameType.Error, w =>
            {
                w.Write((int)code);
                w.Write(message);
            });
        }
        catch (IOException)
        {
            // The peer is gone; nothing more to tell it.
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>Reads an Error frame's body into the exception the client surfaces.</summary>
    public static CatalogException ReadError(Frame frame, string catalogPath)
    {
        using BinaryReader r = Body(frame);
        var code = (CatalogErrorCode)r.ReadInt32();
        return new CatalogException(code, catalogPath, r.ReadString());
    }
}
