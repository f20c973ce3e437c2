namespace RouterHost.Abstractions;

/// <summary>
/// One link of the stage chain. The stage holds what its threads share (tables, configuration snapshots);
/// each runner thread gets its own <see cref="IStageWorker"/> for per-thread scratch, so processing needs no
/// locks. Disposed after every worker, when the router stops.
/// </summary>
public interface IStage : IDisposable
{
    /// <summary>
    /// Called once after every stage of the chain exists and every port is registered, before any traffic:
    /// resolve names to <see cref="PortId"/>s here. Throws with a clear message if configuration refers to
    /// something that does not exist.
    /// </summary>
    void Start(IPortRegistry ports);

    /// <summary>Creates the worker for one runner thread (<paramref name="lane"/> numbers the threads).</summary>
    IStageWorker CreateWorker(int lane);
}
