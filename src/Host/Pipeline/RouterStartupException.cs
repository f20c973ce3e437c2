namespace RouterHost.Pipeline;

/// <summary>The router could not be assembled; the message says what, where (configuration path) and why.</summary>
internal sealed class RouterStartupException : Exception
{
    public RouterStartupException(string message)
        : base(message)
    {
    }

    public RouterStartupException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
