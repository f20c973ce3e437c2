using Microsoft.Extensions.Logging;
using RouterHost.Abstractions;
using RouterHost.Samples.Capture.Lanes;
using RouterHost.Samples.Capture.Pcapng;

namespace RouterHost.Samples.Capture.Stage;

/// <summary>
/// The capture's one writer thread: takes the chunks the lanes publish, writes their packets to the files
/// (<see cref="CaptureFiles"/>), flushes after each round so a reader sees whole blocks, and gives the chunks back.
/// Only this thread touches the disk; when it falls behind, the lanes count what they cannot hand over. A write that
/// fails (disk full) is logged and its packets counted in <see cref="FailedPackets"/>; the next packet starts a new file.
/// </summary>
internal sealed partial class CaptureWriter : IDisposable
{
    private static readonly TimeSpan Idle = TimeSpan.FromMilliseconds(2);

    private readonly CaptureFiles _files;
    private readonly IPortRegistry _ports;
    private readonly ILogger _logger;
    private readonly string _stageName;
    private readonly Lock _lanesLock = new();
    private readonly Thread _thread;
    private LaneBuffer[] _lanes = [];
    private volatile bool _stopping;
    private bool _started;
    private string? _currentPath;
    private long _writtenBytes;
    private long _writtenPackets;
    private long _failedPackets;
    private int _filesStarted;
    private string? _lastError;
    private DateTime _lastErrorLogged;

    public CaptureWriter(CaptureSettings settings, IPortRegistry ports, ILoggerFactory loggerFactory, string stageName)
    {
        _ports = ports;
        _stageName = stageName;
        _logger = loggerFactory.CreateLogger("RouterHost.Samples.Capture");
        _files = new CaptureFiles(settings.FileOptions, DateTimeOffset.UtcNow, CreateFile, Label);
        _thread = new Thread(Run) { IsBackground = true, Name = $"capture {stageName}" };
    }

    /// <summary>The file being written, or null.</summary>
    public string? CurrentPath => Volatile.Read(ref _currentPath);

    /// <summary>Files started so far.</summary>
    public int FilesStarted => Volatile.Read(ref _filesStarted);

    /// <summary>Bytes written to every file.</summary>
    public long WrittenBytes => Volatile.Read(ref _writtenBytes);

    /// <summary>Packets written to the files.</summary>
    public long WrittenPackets => Volatile.Read(ref _writtenPackets);

    /// <summary>Packets lost to a failed write.</summary>
    public long FailedPackets => Volatile.Read(ref _failedPackets);

    /// <summary>The last write error, or null.</summary>
    public string? LastError => Volatile.Read(ref _lastError);

    /// <summary>Adds a lane's buffer to those the thread drains.</summary>
    public void AddLane(LaneBuffer lane)
    {
        lock (_lanesLock)
        {
            Volatile.Write(ref _lanes, [.. _lanes, lane]);
        }
    }

    /// <summary>Starts the thread (once).</summary>
    public void Start()
    {
        if (!_started)
        {
            _started = true;
            _thread.Start();
        }
    }

    /// <summary>Stops the thread after it wrote what the lanes published, and closes the file.</summary>
    public void Dispose()
    {
        _stopping = true;
        if (_started)
        {
            _thread.Join();
        }

        Drain();
        _files.Dispose();
    }

    private void Run()
    {
        while (!_stopping)
        {
            if (!Drain())
            {
                Thread.Sleep(Idle);
            }
        }
    }

    // One round over every lane; true when it wrote anything.
    private bool Drain()
    {
        bool any = false;
        foreach (LaneBuffer lane in Volatile.Read(ref _lanes))
        {
            while (lane.TryTake(out CaptureChunk chunk))
            {
                any = true;
                Write(chunk);
                lane.Return(chunk);
            }
        }

        if (any)
        {
            Guard(_files.Flush, 0);
            Volatile.Write(ref _writtenBytes, _files.TotalBytes);
            Volatile.Write(ref _filesStarted, _files.FilesStarted);
            Volatile.Write(ref _currentPath, _files.CurrentPath);
        }

        return any;
    }

    private void Write(CaptureChunk chunk)
    {
        int at = 0;
        for (int i = 0; i < chunk.Count; i++)
        {
            at = chunk.Read(at, out CaptureRecord record, out ReadOnlySpan<byte> captured);
            try
            {
                _files.Write(record.Port, record.TimestampNanoseconds, captured, record.OriginalLength, record.Direction);
                Volatile.Write(ref _writtenPackets, _writtenPackets + 1);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Failed(e, 1);
            }
        }
    }

    private void Guard(Action action, long packets)
    {
        try
        {
            action();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Failed(e, packets);
        }
    }

    private void Failed(Exception e, long packets)
    {
        Volatile.Write(ref _failedPackets, _failedPackets + packets);
        Volatile.Write(ref _lastError, $"{_files.CurrentPath ?? _files.PathOf(_files.FilesStarted + 1)}: {e.Message}");
        try
        {
            _files.Close();
        }
        catch (IOException)
        {
            // The file is gone either way; the next packet starts a new one.
        }

        DateTime now = DateTime.UtcNow;
        if (now - _lastErrorLogged > TimeSpan.FromSeconds(10))
        {
            _lastErrorLogged = now;
            LogWriteFailed(_logger, _stageName, _lastError!);
        }
    }

    private static FileStream CreateFile(string path)
    {
        var stream = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.Read,
            BufferSize = 64 * 1024,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead,
        });

        // 0640 whatever the umask: root writes, its group (an operator's) reads, nobody else.
        File.SetUnixFileMode(stream.SafeFileHandle, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        return stream;
    }

    private PortLabel Label(uint value)
    {
        var id = PortId.FromValue(value);
        if (id == PortId.Local)
        {
            return new PortLabel("local", "the router itself");
        }

        return _ports.TryGet(id, out PortInfo port)
            ? new PortLabel(port.Name, $"{(id.Kind == PortKind.Peer ? "peer" : "interface")} of {port.Owner}")
            : new PortLabel(id.ToString(), "a port the router no longer has");
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Capture stage {Stage}: writing failed: {Error}; its packets are counted in write_failed, and the next packet starts a new file")]
    private static partial void LogWriteFailed(ILogger logger, string stage, string error);
}
