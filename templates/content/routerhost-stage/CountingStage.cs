using System.Text.Json;
using RouterHost.Abstractions;
using RouterHost.Abstractions.Status;

namespace RouterHostStage1;

/// <summary>
/// The stage: what its workers share (the settings, read-only once created) and the list of its workers, whose
/// counters it sums for <c>routerhost show</c> (<see cref="IStatusReporter"/>, on the control plane).
/// </summary>
/// <remarks>
/// Threading: <see cref="Start"/> and <see cref="CreateWorker"/> run on the control plane before any traffic; each worker
/// then runs on one runner thread (a lane), so a worker needs no lock. <see cref="WriteStatus"/> runs on the control plane
/// at any time, so it only reads what workers publish with <see cref="Volatile"/>.
/// </remarks>
internal sealed class CountingStage(StageSettings settings) : IStage, IStatusReporter
{
    private readonly List<CountingWorker> _workers = [];
    private readonly Lock _lock = new();

    /// <summary>The longest packet passed on, in bytes.</summary>
    public int MaxLength { get; } = settings.MaxLength;

    /// <summary>Nothing to resolve: this stage names no port. A stage that does looks names up here and throws if one is missing.</summary>
    public void Start(IPortRegistry ports)
    {
    }

    /// <summary>Creates the worker of lane <paramref name="lane"/> (control plane; may allocate).</summary>
    public IStageWorker CreateWorker(int lane)
    {
        var worker = new CountingWorker(this);
        lock (_lock)
        {
            _workers.Add(worker);
        }

        return worker;
    }

    /// <summary>Writes <c>{ "packets": N, "passed": N, "dropped_too_long": N }</c>, summed over the lanes.</summary>
    public void WriteStatus(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        long packets = 0;
        long dropped = 0;
        lock (_lock)
        {
            foreach (CountingWorker worker in _workers)
            {
                packets += worker.Packets;
                dropped += worker.Dropped;
            }
        }

        writer.WriteStartObject();
        writer.WriteNumber("packets", packets);
        writer.WriteNumber("passed", packets - dropped);
        writer.WriteNumber("dropped_too_long", dropped);
        writer.WriteEndObject();
    }

    /// <summary>Called after every worker is disposed, when the router stops.</summary>
    public void Dispose()
    {
    }
}
