#include "batch_pipeline.h"

#include <condition_variable>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <thread>

#include "attn/errors.h"

namespace attn::app {
namespace {

struct Batch {
  size_t sequence = 0;
  std::vector<InputText> inputs;
  size_t text_bytes = 0;
};

// A batch also ends once it holds this much text, so that long lines do not multiply the memory of the batches
// in flight: 32 lines of 50 MB would otherwise be 1.6 GB of text (and more in token ids) per batch.
constexpr size_t kMaxBatchTextBytes = size_t{1} << 20;

struct FormattedBatch {
  std::vector<std::string> records;
  std::vector<std::string> dumps;  // empty without --attention
  size_t errors = 0;
};

// Tokenizes, classifies and formats one batch. Lines that cannot be classified become error records in place.
FormattedBatch process(const Model& model, const Batch& batch, Workspace& work, const RecordWriter& writer,
                       bool with_attention) {
  const size_t n = batch.inputs.size();
  std::vector<Encoding> encodings(n);
  std::vector<std::string> errors(n);
  std::vector<const Encoding*> good;
  for (size_t i = 0; i < n; ++i) {
    const InputText& input = batch.inputs[i];
    if (!input.error.empty()) {
      errors[i] = input.error;
    } else if (input.text.empty()) {
      errors[i] = input.source + ":" + std::to_string(input.line) + ": empty line";
    } else {
      try {
        encodings[i] = model.encode(input.text);
        good.push_back(&encodings[i]);
      } catch (const InputError& e) {
        errors[i] = input.source + ":" + std::to_string(input.line) + ": " + e.what();
      }
    }
  }
  std::vector<AttentionMaps> maps;
  const std::vector<Prediction> predictions = model.predict(good, work, with_attention ? &maps : nullptr);

  FormattedBatch out;
  out.records.reserve(n);
  size_t next = 0;
  for (size_t i = 0; i < n; ++i) {
    Record record;
    record.input = &batch.inputs[i];
    const AttentionMaps* record_maps = nullptr;
    if (errors[i].empty()) {
      record.encoding = &encodings[i];
      record.prediction = &predictions[next];
      if (with_attention) record_maps = &maps[next];
      ++next;
    } else {
      record.error = errors[i];
      ++out.errors;
    }
    out.records.push_back(writer.format(record));
    if (with_attention) out.dumps.push_back(AttentionDump::format(record, record_maps));
  }
  return out;
}

}  // namespace

PipelineResult run_pipeline(const Model& model, InputReader& reader, RecordWriter& writer, AttentionDump* dump,
                            size_t batch_size, size_t threads, ProgressCallback progress, void* progress_context) {
  std::mutex mutex;
  std::condition_variable work_ready;   // a batch was queued, or reading ended, or a worker failed
  std::condition_variable result_ready;  // a batch finished
  std::deque<Batch> queue;
  std::map<size_t, FormattedBatch> finished;
  bool reading_done = false;
  std::exception_ptr failure;

  auto worker = [&] {
    Workspace work;
    while (true) {
      Batch batch;
      {
        std::unique_lock<std::mutex> lock(mutex);
        work_ready.wait(lock, [&] { return !queue.empty() || reading_done || failure; });
        if (failure || queue.empty()) return;
        batch = std::move(queue.front());
        queue.pop_front();
      }
      try {
        FormattedBatch result = process(model, batch, work, writer, dump != nullptr);
        std::lock_guard<std::mutex> lock(mutex);
        finished.emplace(batch.sequence, std::move(result));
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex);
        if (!failure) failure = std::current_exception();
        work_ready.notify_all();
      }
      result_ready.notify_all();
    }
  };

  PipelineResult total;
  size_t next_to_write = 0;
  size_t submitted = 0;
  const size_t max_in_flight = 2 * threads;
  // Writes every finished batch that is next in order; with wait_for_one, blocks until at least one is written.
  auto write_ready = [&](bool wait_for_one) {
    std::unique_lock<std::mutex> lock(mutex);
    if (wait_for_one) {
      result_ready.wait(lock, [&] { return finished.count(next_to_write) > 0 || failure; });
    }
    if (failure) std::rethrow_exception(failure);
    while (true) {
      auto it = finished.find(next_to_write);
      if (it == finished.end()) break;
      FormattedBatch batch = std::move(it->second);
      finished.erase(it);
      lock.unlock();
      for (size_t i = 0; i < batch.records.size(); ++i) {
        writer.write(batch.records[i]);
        if (dump != nullptr) dump->write(batch.dumps[i]);
      }
      writer.flush();  // whole records reach the output batch by batch
      total.inputs += batch.records.size();
      total.errors += batch.errors;
      if (progress != nullptr) progress(total.inputs, progress_context);
      lock.lock();
      ++next_to_write;
    }
  };

  std::vector<std::thread> pool;
  for (size_t t = 0; t < threads; ++t) pool.emplace_back(worker);
  auto stop_pool = [&] {
    {
      std::lock_guard<std::mutex> lock(mutex);
      reading_done = true;
    }
    work_ready.notify_all();
    for (auto& thread : pool) thread.join();
    pool.clear();
  };

  try {
    Batch batch;
    InputText input;
    auto submit = [&] {
      batch.sequence = submitted++;
      {
        std::lock_guard<std::mutex> lock(mutex);
        queue.push_back(std::move(batch));
      }
      work_ready.notify_one();
      batch = Batch{};
      while (submitted - next_to_write >= max_in_flight) write_ready(true);
      write_ready(false);
    };
    while (reader.next(input)) {
      if (interrupted()) throw Interrupted();
      batch.text_bytes += input.text.size();
      batch.inputs.push_back(std::move(input));
      if (batch.inputs.size() >= batch_size || batch.text_bytes >= kMaxBatchTextBytes) submit();
    }
    if (!batch.inputs.empty()) submit();
    while (next_to_write < submitted) {
      if (interrupted()) throw Interrupted();
      write_ready(true);
    }
  } catch (...) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (!failure) failure = std::current_exception();
    }
    stop_pool();
    throw;
  }
  stop_pool();
  return total;
}

}  // namespace attn::app
