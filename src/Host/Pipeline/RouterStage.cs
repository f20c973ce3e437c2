using RouterHost.Abstractions;

namespace RouterHost.Pipeline;

/// <summary>A stage of the chain: its name, its plugin's name, and the stage object.</summary>
internal sealed record RouterStage(string Name, string Type, IStage Stage);
