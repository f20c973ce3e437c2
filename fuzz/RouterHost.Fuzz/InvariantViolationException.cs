namespace RouterHost.Fuzz;

/// <summary>A fuzz target found the code under test breaking a rule it promises (not a crash of its own).</summary>
internal sealed class InvariantViolationException : Exception
{
    public InvariantViolationException()
    {
    }

    public InvariantViolationException(string message)
        : base(message)
    {
    }

    public InvariantViolationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Throws when <paramref name="holds"/> is false, with <paramref name="rule"/> as the message.</summary>
    public static void Check(bool holds, string rule)
    {
        if (!holds)
        {
            throw new InvariantViolationException(rule);
        }
    }
}
