using System.Text.Json;
using RouterHost.Abstractions;
using RouterHost.Abstractions.Status;
using RouterHost.Samples.Capture.Filter;
using RouterHost.Samples.Capture.Lanes;

namespace RouterHost.Samples.Capture.Stage;

/// <summary>
/// The capture stage: resolves the filter's port names when the router starts, gives each lane a worker with its own
/// <see cref="LaneBuffer"/>, and runs the one <see cref="CaptureWriter"/> thread that turns the lanes' packets into
/// files. Its status (<c>routerhost show</c>) has the files and the counters.
/// </summary>
internal sealed class CaptureStage : IStage, IStatusReporter
{
    private readonly StageContext _context;
    private readonly CaptureSettings _settings;
    private readonly CaptureWriter _writer;
    private readonly Lock _workersLock = new();
    private CaptureWorker[] _workers = [];
    private CaptureFilter _filter = CaptureFilter.All;

    public CaptureStage(StageContext context, CaptureSettings settings)
    {
        _context = context;
        _settings = settings;
        _writer = new CaptureWriter(settings, context.Ports, context.LoggerFactory, context.Name);
    }

    /// <summary>The settings it runs with.</summary>
    public CaptureSettings Settings => _settings;

    /// <summary>The filter its workers apply (set in <see cref="Start"/>).</summary>
    public CaptureFilter Filter => Volatile.Read(ref _filter);

    /// <inheritdoc />
    public void Start(IPortRegistry ports)
    {
        var ids = new List<uint>();
        foreach ((string path, string name) in _settings.Ports)
        {
            if (!ports.TryFind(name, out PortInfo port))
            {
                var known = new List<string>();
                foreach (PortInfo p in ports.Ports)
                {
                    known.Add(p.Name);
                }

                throw new InvalidOperationException($"{path}: no interface or peer is named '{name}' (the router's ports: {string.Join(", ", known)}); name one of them or remove it from the capture's Ports");
            }

            ids.Add(port.Id.Value);
        }

        Volatile.Write(ref _filter, new CaptureFilter(ids, _settings.Prefixes, _settings.Protocols));
        _writer.Start();
    }

    /// <inheritdoc />
    public IStageWorker CreateWorker(int lane)
    {
        var buffer = new LaneBuffer(_settings.ChunksPerLane, _settings.ChunkBytes);
        var worker = new CaptureWorker(this, buffer);
        lock (_workersLock)
        {
            _workers = [.. _workers, worker];
        }

        _writer.AddLane(buffer);
        return worker;
    }

    /// <inheritdoc />
    public void WriteStatus(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        long captured = 0;
        long dropped = 0;
        long filtered = 0;
        long unclaimed = 0;
        foreach (CaptureWorker worker in Volatile.Read(ref _workers))
        {
            captured += worker.Lane.Captured;
            dropped += worker.Lane.Dropped;
            filtered += worker.FilteredOut;
            unclaimed += worker.Unclaimed;
        }

        writer.WriteStartObject();
        writer.WriteString("folder", _settings.Folder);
        writer.WriteString("current_file", _writer.CurrentPath);
        writer.WriteNumber("files_started", _writer.FilesStarted);
        writer.WriteNumber("written_bytes", _writer.WrittenBytes);
        writer.WriteNumber("snap_length_bytes", _settings.SnapLength);
        writer.WriteNumber("max_file_bytes", _settings.MaxFileBytes);
        writer.WriteNumber("captured", captured);
        writer.WriteNumber("written", _writer.WrittenPackets);
        writer.WriteNumber("filtered_out", filtered);
        writer.WriteNumber("unclaimed_datagrams", unclaimed);
        writer.WriteNumber("capture_dropped", dropped);
        writer.WriteNumber("write_failed", _writer.FailedPackets);
        writer.WriteString("last_error", _writer.LastError);
        writer.WriteEndObject();
    }

    /// <inheritdoc />
    public void Dispose() => _writer.Dispose();
}
