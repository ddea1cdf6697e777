// optimizer.cl: one launch updates the whole flat parameter region (PyTorch's SGD and Adam/AdamW semantics).
// The learning rate and Adam's bias corrections change every step: they are kernel arguments the executor
// sets before each enqueue, so the prebuilt step needs no host round trip.

// g = grad + wd*p; with momentum mu: v = mu*v + g, d = nesterov ? g + mu*v : v; p -= lr*d.
__kernel void sgd_step(__global float* params, __global const float* grads, __global float* velocity, int n,
                       float lr, float momentum, int nesterov, float weightDecay) {
    const int i = get_global_id(0);
    if (i >= n) return;
    float p = params[i];
    float g = grads[i] + weightDecay * p;
    float d = g;
    if (momentum != 0.0f) {
        float v = momentum * velocity[i] + g;
        velocity[i] = v;
        d = nesterov ? g + momentum * v : v;
    }
    params[i] = p - lr * d;
}

// Adam (g += wd*p) or AdamW (decoupled: p *= 1 - lr*wd); state = m[0, n) then v[n, 2n).
// correction1 = 1 - beta1^t and correction2 = 1 - beta2^t with t = step + 1, computed on the host.
__kernel void adam_step(__global float* params, __global const float* grads, __global float* state, int n,
                        float lr, float beta1, float beta2, float eps, float weightDecay, int decoupled,
                        float correction1, float correction2) {
    const int i = get_global_id(0);
    if (i >= n) return;
    float p = params[i];
    float g = grads[i];
    if (decoupled) p *= 1.0f - lr * weightDecay;
    else g += weightDecay * p;
    float m = beta1 * state[i] + (1.0f - beta1) * g;
    float v = beta2 * state[n + i] + (1.0f - beta2) * g * g;
    state[i] = m;
    state[n + i] = v;
    params[i] = p - lr * (m / correction1) / (sqrt(v / correction2) + eps);
}
