using Microsoft.Extensions.Logging.Abstractions;
using RouterHost.Abstractions;
using RouterHost.Pipeline;

namespace RouterHost.Tests.Pipeline;

/// <summary>
/// Contract 1.5: the lane ends every batch it carried — an empty one (a woken source) too — by calling every stage
/// worker's <see cref="IStageWorker.EndBatch"/> once, after the stages processed it; a worker that does not implement
/// it gets the default (nothing), and one that throws there does not stop the lane.
/// </summary>
public sealed class EndBatchTests
{
    [Fact]
    public void Every_stage_worker_is_told_once_after_each_batch_even_an_empty_one()
    {
        var log = new List<string>();
        RouterStage[] stages = [new("a", "Recording", new RecordingStage("a", log)), new("b", "Recording", new RecordingStage("b", log))];
        using QueueWorker worker = SourceWorker(stages);

        worker.Batch.Append(new byte[128], 32, 60);
        worker.ProcessBatch();
        Assert.Equal(new[] { "b.process", "a.process", "a.end", "b.end" }, log);

        log.Clear();
        worker.Batch.Clear();
        worker.ProcessBatch();
        Assert.Equal(new[] { "a.end", "b.end" }, log);
    }

    [Fact]
    public void A_stage_without_an_end_of_batch_hook_and_one_that_throws_there_leave_the_others_served()
    {
        var log = new List<string>();
        RouterStage[] stages = [new("plain", "Plain", new PlainStage()), new("bad", "Recording", new RecordingStage("bad", log, throwAtEnd: true)), new("c", "Recording", new RecordingStage("c", log))];
        using QueueWorker worker = SourceWorker(stages);

        worker.Batch.Clear();
        worker.ProcessBatch();
        Assert.Equal(new[] { "bad.end", "c.end" }, log);
    }

    // A worker for a source of the last stage: batches enter there walking inbound; it has no interface to write to.
    private static QueueWorker SourceWorker(RouterStage[] stages) =>
        new(stages[^1], stages.Length - 1, new NoQueue(), 0, stages, [], new PeerOwnerMap([], stages), 8, NullLogger.Instance);

    private sealed class RecordingStage(string name, List<string> log, bool throwAtEnd = false) : IStage
    {
        public void Start(IPortRegistry ports)
        {
        }

        public IStageWorker CreateWorker(int lane) => new Worker(name, log, throwAtEnd);

        public void Dispose()
        {
        }

        private sealed class Worker(string name, List<string> log, bool throwAtEnd) : IStageWorker
        {
            public void Process(PacketBatch batch) => log.Add($"{name}.process");

            public void EndBatch()
            {
                log.Add($"{name}.end");
                if (throwAtEnd)
                {
                    throw new InvalidOperationException("a stage bug");
                }
            }

            public void Dispose()
            {
            }
        }
    }

    private sealed class PlainStage : IStage, IStageWorker
    {
        public void Start(IPortRegistry ports)
        {
        }

        public IStageWorker CreateWorker(int lane) => this;

        public void Process(PacketBatch batch)
        {
        }

        public void Dispose()
        {
        }
    }

    internal class NoQueue : IQueue
    {
        public int Index => 0;

        public bool Read(PacketBatch batch) => false;

        public DropReason Write(in Packet packet) => DropReason.None;

        public DropReason WriteFromSelf(in Packet packet) => DropReason.None;

        public void Flush(DropTally drops)
        {
        }

        public void Close()
        {
        }

        public void Dispose()
        {
        }
    }

    /// <summary>A queue whose Write takes superpackets of the <paramref name="accepted"/> types whole; counts how often it is asked.</summary>
    internal sealed class GsoQueue(params GsoType[] accepted) : NoQueue, IGsoWriter
    {
        public int Asked { get; private set; }

        public bool AcceptsGso(GsoType type)
        {
            Asked++;
            return Array.IndexOf(accepted, type) >= 0;
        }
    }
}
