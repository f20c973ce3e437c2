namespace RouterHost.Demo;

/// <summary>The demo cannot go on; the message says why (the demo cleans up and exits 1).</summary>
internal sealed class DemoException : Exception
{
    public DemoException()
    {
    }

    public DemoException(string message)
        : base(message)
    {
    }

    public DemoException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
