// UninitAllocator: std::allocator whose value-initialization of an element is default-initialization, so
// std::vector<float, UninitAllocator<float>>::resize(n) allocates without writing n zeros. For buffers that
// are filled completely right after, by several threads: each page is then first touched (faulted in) by
// the thread that fills it, in parallel, instead of by one memset on the allocating thread (a 120-frame
// 720p video tensor is 775 MiB). Constructors with arguments behave as usual.
#pragma once

#include <memory>
#include <new>
#include <type_traits>
#include <utility>

namespace mms {

template <class T>
class UninitAllocator : public std::allocator<T> {
 public:
  template <class U>
  struct rebind {
    using other = UninitAllocator<U>;
  };
  using std::allocator<T>::allocator;

  template <class U>
  void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

template <class T, class U>
bool operator==(const UninitAllocator<T>&, const UninitAllocator<U>&) {
  return true;
}

}  // namespace mms
