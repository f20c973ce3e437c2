using System.Diagnostics.CodeAnalysis;
using RouterHost.Abstractions;

namespace RouterHost.Pipeline;

/// <summary>The router's stage service registry: one published instance per contract type. Thread-safe.</summary>
internal sealed class StageServices : IStageServices
{
    private readonly Lock _lock = new();
    private readonly Dictionary<Type, object> _services = [];

    public void Publish<T>(T service)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(service);
        lock (_lock)
        {
            if (_services.TryGetValue(typeof(T), out object? existing))
            {
                throw new InvalidOperationException($"A {typeof(T).Name} is already published (by {existing.GetType().FullName}); a router has one.");
            }

            _services.Add(typeof(T), service);
        }
    }

    public bool TryGet<T>([NotNullWhen(true)] out T? service)
        where T : class
    {
        lock (_lock)
        {
            service = _services.TryGetValue(typeof(T), out object? found) ? (T)found : null;
            return service is not null;
        }
    }
}
