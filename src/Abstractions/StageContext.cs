using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace RouterHost.Abstractions;

/// <summary>What a stage gets when it is created.</summary>
/// <param name="Name">The stage's name in the chain (unique; defaults to its type).</param>
/// <param name="Settings">The stage's <c>Settings</c> section; watch its reload token for live changes.</param>
/// <param name="LoggerFactory">For the stage's loggers.</param>
/// <param name="Ports">The router's ports; peers are registered here.</param>
/// <param name="Position">Its index in the chain, 0 being the inside end.</param>
/// <param name="ChainLength">How many stages the chain has.</param>
public sealed record StageContext(
    string Name,
    IConfigurationSection Settings,
    ILoggerFactory LoggerFactory,
    IPortRegistry Ports,
    int Position,
    int ChainLength)
{
    /// <summary>Services the stages of this router publish to each other.</summary>
    public IStageServices Services { get; init; } = NoStageServices.Instance;

    /// <summary>
    /// How many packets the runner carries in one batch (<c>Pipeline:BatchSize</c>): a stage with sources reads at most
    /// this many per <see cref="IPacketReader.Read"/>, so it can size its receive buffers.
    /// </summary>
    public int BatchSize { get; init; } = 64;
}

/// <summary>A registry with nothing in it and that takes nothing (for contexts built without one).</summary>
internal sealed class NoStageServices : IStageServices
{
    public static readonly NoStageServices Instance = new();

    public void Publish<T>(T service)
        where T : class => throw new InvalidOperationException("This stage context has no service registry.");

    public bool TryGet<T>([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out T? service)
        where T : class
    {
        service = null;
        return false;
    }
}
