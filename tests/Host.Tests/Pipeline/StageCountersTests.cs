using Microsoft.Extensions.Logging.Abstractions;
using RouterHost.Abstractions;
using RouterHost.Pipeline;

namespace RouterHost.Tests.Pipeline;

/// <summary>
/// A stage's counters are read by other threads (<c>show</c>, Prometheus, tests) while its lane runs. "In" is published
/// after the packets' outcomes, so a reader that sees a packet in also sees what became of it.
/// </summary>
public sealed class StageCountersTests
{
    [Fact]
    public void While_a_stage_processes_a_batch_its_packets_are_not_yet_counted_in_and_afterwards_in_equals_the_outcomes()
    {
        long inDuringProcess = -1;
        QueueWorker? worker = null;
        var dropper = new DroppingStage(() => inDuringProcess = worker!.StageCounters[0].In);
        RouterStage[] stages = [new("drop", "Dropping", dropper)];
        using (worker = new QueueWorker(stages[0], 0, new EndBatchTests.NoQueue(), 0, stages, [], new PeerOwnerMap([], stages), 8, NullLogger.Instance))
        {
            worker.Batch.Append(new byte[128], 32, 60);
            worker.Batch.Append(new byte[128], 32, 60);
            worker.ProcessBatch();

            Assert.Equal(0, inDuringProcess);
            StageCounters c = worker.StageCounters[0];
            Assert.Equal(2, c.In);
            Assert.Equal(2, c.DroppedTotal);
            Assert.Equal(c.In, c.Forwarded + c.Consumed + c.DroppedTotal + c.RejectedTotal);
        }
    }

    private sealed class DroppingStage(Action duringProcess) : IStage, IStageWorker
    {
        private static readonly DropReason s_reason = DropReason.Register("test.counters_drop");

        public void Start(IPortRegistry ports)
        {
        }

        public IStageWorker CreateWorker(int lane) => this;

        public void Process(PacketBatch batch)
        {
            duringProcess();
            Span<Packet> packets = batch.AsSpan();
            for (int i = 0; i < packets.Length; i++)
            {
                packets[i].Drop(s_reason);
            }
        }

        public void Dispose()
        {
        }
    }
}
