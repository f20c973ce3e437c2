using RouterHost.Abstractions;
using RouterHost.Samples.Capture.Filter;
using RouterHost.Samples.Capture.Lanes;
using RouterHost.Samples.Capture.Pcapng;

namespace RouterHost.Samples.Capture.Stage;

/// <summary>
/// One lane's capture: stamps the batch with the wall clock once, and copies each packet the filter keeps (cut to the
/// snap length) into the lane's buffer, filed under its ingress port with the direction the batch walks. Every packet
/// goes on unchanged. A datagram a stage's own source read and no stage has claimed yet (it has no ingress, and is not
/// an IP packet but, say, an encrypted WireGuard message) is not captured: it is counted in <see cref="Unclaimed"/>.
/// </summary>
internal sealed class CaptureWorker(CaptureStage stage, LaneBuffer lane) : IStageWorker
{
    private const long UnixEpochTicks = 621_355_968_000_000_000;

    private long _filteredOut;
    private long _unclaimed;

    /// <summary>The lane's buffer toward the writer.</summary>
    public LaneBuffer Lane => lane;

    /// <summary>Packets the filter left out.</summary>
    public long FilteredOut => Volatile.Read(ref _filteredOut);

    /// <summary>Datagrams of a stage's own source, not yet packets, that were not captured.</summary>
    public long Unclaimed => Volatile.Read(ref _unclaimed);

    /// <inheritdoc />
    public void Process(PacketBatch batch)
    {
        int count = batch.Count;
        if (count == 0)
        {
            return;
        }

        CaptureFilter filter = stage.Filter;
        int snapLength = stage.Settings.SnapLength;
        long now = (DateTime.UtcNow.Ticks - UnixEpochTicks) * 100;
        CaptureDirection direction = batch.Direction == PacketDirection.Inbound ? CaptureDirection.Inbound : CaptureDirection.Outbound;
        long filteredOut = 0;
        long unclaimed = 0;
        for (int i = 0; i < count; i++)
        {
            ref Packet packet = ref batch[i];
            if (packet.IsFromStageSource)
            {
                unclaimed++;
                continue;
            }

            ReadOnlySpan<byte> data = packet.Data;
            if (!filter.Matches(data, packet.Ingress.Value, packet.Egress.Value))
            {
                filteredOut++;
                continue;
            }

            lane.TryAppend(now, packet.Ingress.Value, direction, data.Length > snapLength ? data[..snapLength] : data, data.Length);
        }

        if (filteredOut != 0)
        {
            Volatile.Write(ref _filteredOut, _filteredOut + filteredOut);
        }

        if (unclaimed != 0)
        {
            Volatile.Write(ref _unclaimed, _unclaimed + unclaimed);
        }
    }

    /// <inheritdoc />
    public void EndBatch() => lane.Publish();

    /// <inheritdoc />
    public void Dispose() => lane.Publish();
}
