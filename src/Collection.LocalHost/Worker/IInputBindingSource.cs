using Collection.LocalHost.Rpc;

namespace Collection.LocalHost.Worker;

/// <summary>Supplies the value of an input binding (say <c>durableClient</c>) that the host binds for every invocation.</summary>
internal interface IInputBindingSource
{
    string BindingType { get; }

    Task<TypedData> BindAsync(FunctionBinding binding, CancellationToken cancellationToken);
}
