package dev.qlora4j.train.demo.build;

/**
 * One subject of the Socratic set in one language: the words the question and answer forms
 * are filled with. Every field is a complete phrase, written for its slot (see {@link SocraticForms}).
 *
 * @param name        the subject as a noun ("justice", "正義")
 * @param become      what the asker wants to achieve ("become more just")
 * @param definition  a tempting but flawed definition, as a predicate ("giving each person what they are owed")
 * @param counter     a case that puts the definition to the test, ending as a question
 * @param senseA      one thing the word may mean
 * @param senseB      another thing it may mean
 * @param probe       a question that takes the inquiry further
 * @param hardCase    a case where the thing seems to go wrong, ending as a question
 * @param everyQuestion the "is it good in every situation" question when the plain form reads badly, else null
 */
record SocraticTopic(String name, String become, String definition, String counter, String senseA, String senseB,
                     String probe, String hardCase, String everyQuestion) {}
