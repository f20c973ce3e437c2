namespace RouterHost.Fuzz;

/// <summary>
/// One fuzz target: a parser of outside input (or a chain of them) driven by arbitrary bytes. <see cref="Run"/> must
/// return normally for every input: the code under test answers bad input with a counted drop reason or a configuration
/// problem, never an exception. A target also checks invariants of what it gets back and throws
/// <see cref="InvariantViolationException"/> when one does not hold; afl-fuzz counts any exception as a crash.
/// </summary>
internal interface IFuzzTarget
{
    /// <summary>The name <c>scripts/fuzz</c> and the corpus folder use (<c>fuzz/corpus/&lt;name&gt;</c>).</summary>
    string Name { get; }

    /// <summary>What the target drives, for <c>RouterHost.Fuzz list</c> and the docs.</summary>
    string Description { get; }

    /// <summary>Runs one input. Called many times in one process: state that outlives a call is set up once.</summary>
    void Run(ReadOnlySpan<byte> input);

    /// <summary>Small valid inputs to start from (written to the corpus by <c>RouterHost.Fuzz seed</c>).</summary>
    IEnumerable<KeyValuePair<string, byte[]>> Seeds();
}
