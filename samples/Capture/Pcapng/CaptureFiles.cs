using System.Globalization;

namespace RouterHost.Samples.Capture.Pcapng;

/// <summary>Names a port for its Interface Description Block: <c>if_name</c> and an optional <c>if_description</c>.</summary>
/// <param name="Name">The port's name.</param>
/// <param name="Description">What it is (an interface of a backend, a peer of a stage), or null.</param>
public readonly record struct PortLabel(string Name, string? Description);

/// <summary>How <see cref="CaptureFiles"/> names and rotates its files.</summary>
/// <param name="Folder">The folder the files go in.</param>
/// <param name="FileName">The first part of every file's name.</param>
/// <param name="SnapLength">The most bytes of one packet a file keeps (the interfaces' snap length).</param>
/// <param name="MaxFileBytes">A new file starts before one would grow past this many bytes; 0 = never.</param>
/// <param name="MaxFiles">The most files of this run kept; the oldest is deleted past it; 0 = all.</param>
public sealed record CaptureFileOptions(string Folder, string FileName, int SnapLength, long MaxFileBytes, int MaxFiles);

/// <summary>
/// The capture's files, written by one thread: pcapng sections of one Section Header Block, one Interface Description
/// Block per port (written before that port's first packet in each file) and Enhanced Packet Blocks. Files are named
/// <c>FileName-yyyyMMddTHHmmssZ-NNNNN.pcapng</c> (the UTC time this writer started, then 00001, 00002… as it rotates);
/// with <see cref="CaptureFileOptions.MaxFileBytes"/> a new file starts when the next blocks would take the current
/// one past it (a file holding one packet may be larger, when that packet's blocks alone are). With
/// <see cref="CaptureFileOptions.MaxFiles"/> the oldest file of this run is deleted when one more would be kept.
/// Not thread-safe.
/// </summary>
public sealed class CaptureFiles : IDisposable
{
    /// <summary>The application named in every section header.</summary>
    public const string Application = "RouterHost Capture";

    private readonly CaptureFileOptions _options;
    private readonly Func<string, Stream> _create;
    private readonly Func<uint, PortLabel> _label;
    private readonly string _stamp;
    private readonly Dictionary<uint, uint> _interfaces = [];
    private readonly Queue<string> _kept = new();
    private byte[] _block = new byte[64 * 1024];
    private Stream? _file;
    private int _sequence;

    /// <summary>Creates the writer; no file exists until the first packet.</summary>
    /// <param name="options">Naming and rotation.</param>
    /// <param name="started">When the capture started (names the files).</param>
    /// <param name="create">Opens a new file for writing at a path (it must not exist).</param>
    /// <param name="label">Names a port by its id, for its Interface Description Block.</param>
    public CaptureFiles(CaptureFileOptions options, DateTimeOffset started, Func<string, Stream> create, Func<uint, PortLabel> label)
    {
        _options = options;
        _create = create;
        _label = label;
        _stamp = started.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
    }

    /// <summary>The file being written, or null before the first packet.</summary>
    public string? CurrentPath { get; private set; }

    /// <summary>Bytes in the current file.</summary>
    public long CurrentBytes { get; private set; }

    /// <summary>Packets in the current file.</summary>
    public long CurrentPackets { get; private set; }

    /// <summary>Files started so far.</summary>
    public int FilesStarted => _sequence;

    /// <summary>Bytes written to every file.</summary>
    public long TotalBytes { get; private set; }

    /// <summary>The path of file number <paramref name="sequence"/> of this run.</summary>
    public string PathOf(int sequence) =>
        Path.Combine(_options.Folder, string.Create(CultureInfo.InvariantCulture, $"{_options.FileName}-{_stamp}-{sequence:D5}.pcapng"));

    /// <summary>
    /// Writes one packet: <paramref name="captured"/> (already cut to the snap length) of a packet
    /// <paramref name="originalLength"/> bytes long, seen on <paramref name="port"/>. Starts a new file first when the
    /// packet would take the current one past the rotation size. Throws what the stream throws (an I/O error).
    /// </summary>
    public void Write(uint port, long timestampNanoseconds, ReadOnlySpan<byte> captured, int originalLength, CaptureDirection direction)
    {
        bool known = _file is not null && _interfaces.ContainsKey(port);
        PortLabel label = known ? default : Label(port);
        int need = PcapngBlocks.EnhancedPacketLength(captured.Length)
            + (known ? 0 : PcapngBlocks.InterfaceDescriptionLength(label.Name, label.Description));
        if (_file is null
            || (_options.MaxFileBytes > 0 && CurrentPackets > 0 && CurrentBytes + need > _options.MaxFileBytes))
        {
            Rotate();
            if (known)
            {
                label = Label(port);
            }

            known = false;
        }

        if (!known)
        {
            int idbLength = PcapngBlocks.InterfaceDescriptionLength(label.Name, label.Description);
            Span<byte> idb = Block(idbLength);
            PcapngBlocks.WriteInterfaceDescription(idb, label.Name, label.Description, _options.SnapLength);
            Append(idb);
            _interfaces[port] = (uint)_interfaces.Count;
        }

        Span<byte> epb = Block(PcapngBlocks.EnhancedPacketLength(captured.Length));
        PcapngBlocks.WriteEnhancedPacket(epb, _interfaces[port], timestampNanoseconds, captured, originalLength, direction);
        Append(epb);
        CurrentPackets++;
    }

    /// <summary>Pushes what was written to the file, so a reader sees whole blocks.</summary>
    public void Flush() => _file?.Flush();

    /// <summary>Closes the current file; the next packet starts a new one.</summary>
    public void Close()
    {
        _file?.Dispose();
        _file = null;
    }

    /// <inheritdoc />
    public void Dispose() => Close();

    private PortLabel Label(uint port)
    {
        PortLabel label = _label(port);
        return new PortLabel(Limit(label.Name), label.Description is null ? null : Limit(label.Description));
    }

    // An option's length is 16 bits; names are far shorter, but a label never makes a block that cannot be written.
    private static string Limit(string text) => text.Length > 1024 ? text[..1024] : text;

    private void Rotate()
    {
        Close();
        _interfaces.Clear();
        _sequence++;
        string path = PathOf(_sequence);
        _file = _create(path);
        CurrentPath = path;
        CurrentBytes = 0;
        CurrentPackets = 0;
        _kept.Enqueue(path);
        while (_options.MaxFiles > 0 && _kept.Count > _options.MaxFiles)
        {
            File.Delete(_kept.Dequeue());
        }

        Span<byte> shb = Block(PcapngBlocks.SectionHeaderLength(Application));
        PcapngBlocks.WriteSectionHeader(shb, Application);
        Append(shb);
    }

    private Span<byte> Block(int length)
    {
        if (_block.Length < length)
        {
            _block = new byte[length];
        }

        return _block.AsSpan(0, length);
    }

    private void Append(ReadOnlySpan<byte> block)
    {
        _file!.Write(block);
        CurrentBytes += block.Length;
        TotalBytes += block.Length;
    }
}
